"""`consultation results ID` in the terminal: rich tables a coordinator can read at a glance.

Suppressed numbers read "<5" (a count from 1 to 4, or a group too small to show) or "*" (hidden
so that a small count can't be worked out from the totals); the legend says so under the header.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from storage.consultation_results import Count, QuestionResult, Results

DIMENSION_NAMES = {
    "community": "Community",
    "language": "Language",
    "channel": "Channel",
    "age_band": "Child's age",
}
LANGUAGE_NAMES = {"en": "English", "cy": "Cymraeg"}
CHANNEL_NAMES = {"sms": "SMS", "telegram": "Telegram"}
TYPE_NAMES = {
    "choice": "one choice",
    "multi": "choose any",
    "scale": "scale 1-5",
    "yesno": "yes or no",
    "number": "number",
    "date": "date",
    "text": "free text",
}
RESPONSE_KEYS = ("invited", "started", "finished")


def print_results(console: Console, results: Results) -> None:
    """Print everything `render_results` draws."""
    for part in render_results(results):
        console.print(part)


def render_results(results: Results) -> list[RenderableType]:
    """The header, response rates by group, then each question with its breakdowns."""
    parts: list[RenderableType] = [_header(results)]
    responses = _responses_table(results)
    if responses is not None:
        parts.append(responses)
    for number, question in enumerate(results.questions, start=1):
        parts.append(_question(number, question, results.threshold))
    return parts


def shown(count: Count | None, threshold: int) -> str:
    """A count as printed: the number, "<5" or "*"."""
    if count is None:
        return ""
    if count.count is not None:
        return str(count.count)
    return "*" if count.suppressed == "secondary" else f"<{threshold}"


def _number(value: int | None, threshold: int) -> str:
    return f"<{threshold}" if value is None else str(value)


def _percent(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}%"


def _rate(value: float) -> str:
    return f"{100 * value:.0f}%"


def _header(results: Results) -> RenderableType:
    title = Text(results.title, style="bold")
    facts = Text(
        f"{results.consultation_id} · {results.status} · "
        f"invited {results.invited} · "
        f"started {results.started} ({_rate(results.response_rate)}) · "
        f"finished {results.finished} ({_rate(results.completion_rate)})"
    )
    t = results.threshold
    if t > 1:
        few = "1 person" if t == 2 else f"1 to {t - 1} people"
        legend = Text(
            f"<{t}: {few}, or a group of fewer than {t} · "
            "*: hidden so a small number can't be worked out from the totals",
            style="dim",
        )
    else:
        legend = Text("Small numbers are not hidden (SMALL_CELL_THRESHOLD=1).", style="dim")
    return Group(title, facts, legend, Text(""))


def _responses_table(results: Results) -> Table | None:
    if not any(results.by_dimension.values()):
        return None
    t = results.threshold
    table = Table(
        "Group", "Invited", "Started", "%", "Finished", "%",
        title="Responses by group", title_justify="left", box=box.SIMPLE_HEAD,
    )  # fmt: skip
    for column in table.columns[1:]:
        column.justify = "right"
    for dimension, groups in results.by_dimension.items():
        if not groups:
            continue
        table.add_row(Text(DIMENSION_NAMES.get(dimension, dimension), style="bold"))
        for group, counts in groups.items():
            invited, started, finished = (_by_key(counts, k) for k in RESPONSE_KEYS)
            table.add_row(
                Text(f"  {_group_name(dimension, group)}"),
                shown(invited, t),
                shown(started, t),
                _percent(started.percent if started else None, 0),
                shown(finished, t),
                _percent(finished.percent if finished else None, 0),
            )
    return table


def _by_key(counts: Sequence[Count], key: str) -> Count | None:
    return next((c for c in counts if c.key == key), None)


def _group_name(dimension: str, group: str) -> str:
    if dimension == "language":
        return LANGUAGE_NAMES.get(group, group)
    if dimension == "channel":
        return CHANNEL_NAMES.get(group, group)
    if dimension == "age_band" and group == "none":
        return "no child's age"
    return group


def _question(number: int, question: QuestionResult, threshold: int) -> RenderableType:
    t = threshold
    heading = Text.assemble(
        (f"{number}. {question.text}", "bold"),
        (f"  ({question.id}, {TYPE_NAMES.get(question.type, question.type)})", "dim"),
    )
    answered = f"answered {_number(question.answered, t)} · skipped {_number(question.skipped, t)}"
    parts: list[RenderableType] = [heading, Text(answered)]
    if question.type == "text":
        parts.append(Text("Free-text answers are never shown in results.", style="dim"))
    else:
        parts.append(_counts_table(question, t))
    if question.summary:
        s = question.summary
        parts.append(
            Text(
                f"mean {_plain(s['mean'])} · median {_plain(s['median'])} · "
                f"min {_plain(s['min'])} · max {_plain(s['max'])}"
            )
        )
    parts.extend(_breakdowns(question, t))
    parts.append(Text(""))
    return Group(*parts)


def _plain(value: float) -> str:
    return f"{value:g}"


def _counts_table(question: QuestionResult, threshold: int) -> Table:
    percent = "% of those answering" if question.type == "multi" else "%"
    table = Table("Answer", "Count", percent, box=box.SIMPLE_HEAD)
    table.columns[1].justify = table.columns[2].justify = "right"
    for count in question.counts:
        table.add_row(Text(count.label), shown(count, threshold), _percent(count.percent))
    return table


def _breakdowns(question: QuestionResult, threshold: int) -> list[RenderableType]:
    """A compact table per dimension (a row per group, a column per option); for number,
    date and text questions one table of how many answered in each group."""
    if not any(question.breakdown_totals.values()):
        return []
    if not question.breakdowns:
        return [_answered_by_group(question, threshold)]
    tables: list[RenderableType] = []
    for dimension, groups in question.breakdowns.items():
        if not groups:
            continue
        table = Table(DIMENSION_NAMES.get(dimension, dimension), "Answered", box=box.SIMPLE_HEAD)
        table.columns[1].justify = "right"
        for count in question.counts:
            table.add_column(Text(count.label), justify="right", overflow="fold")
        totals = question.breakdown_totals.get(dimension, {})
        for group, counts in groups.items():
            table.add_row(
                Text(_group_name(dimension, group)),
                shown(totals.get(group), threshold),
                *(_cell(c, threshold) for c in counts),
            )
        tables.append(table)
    return tables


def _answered_by_group(question: QuestionResult, threshold: int) -> RenderableType:
    table = Table("Group", "Answered", box=box.SIMPLE_HEAD)
    table.columns[1].justify = "right"
    for dimension, totals in question.breakdown_totals.items():
        if totals:
            table.add_row(Text(DIMENSION_NAMES.get(dimension, dimension), style="bold"))
        for group, total in totals.items():
            table.add_row(Text(f"  {_group_name(dimension, group)}"), shown(total, threshold))
    return table


def _cell(count: Count, threshold: int) -> str:
    if count.count is None or count.percent is None:
        return shown(count, threshold)
    return f"{count.count} ({count.percent:.0f}%)"
