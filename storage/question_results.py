"""One question's results, arranged from its aggregated counts: keys and labels in
definition order, small cells hidden (storage/suppression.py), the summary of a number or scale.
Pure: the counts come from storage/consultation_results.py's GROUP BY statements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conversations.consultations.model import Question, Texts
from storage.suppression import Count, Table

DIMENSIONS: tuple[str, ...] = ("community", "language", "channel", "age_band")
AGE_BANDS: tuple[str, ...] = (
    "pregnancy",
    "0-11m",
    "12-23m",
    "24-35m",
    "36-47m",
    "48-59m",
    "60m+",
    "none",
)
UNKNOWN = "unknown"  # the group of an answer with no invite (there should be none)
BROKEN_DOWN = ("choice", "multi", "scale", "yesno")  # per-option counts in every group
ANSWERED = "answered"  # the key of a group's total in `QuestionResult.breakdown_totals`


Group = tuple[str, str] | None  # (dimension, group); None is everyone
# group -> (skipped, value or None) -> people
Values = dict[Group, dict[tuple[bool, str | None], int]]
# group -> option id -> people who chose it
Options = dict[Group, dict[str, int]]


@dataclass(frozen=True)
class QuestionResult:
    """One question's results.

    `counts`: per option or value, in definition order (zeros included); number and date
    questions have one per distinct value, in order; text questions none.
    `summary`: mean, median, min and max for number and scale questions, when not suppressed.
    `breakdowns`: dimension -> group -> counts, as `counts`, for choice, multi, scale and yes/no
    (empty for number, date and text: a row per distinct value per group would be almost all
    hidden, and protecting it would hide the overall counts too).
    `breakdown_totals`: dimension -> group -> the Count of people in that group who answered
    (key "answered"), for every type.
    """

    id: str
    type: str
    text: str
    answered: int | None
    skipped: int | None
    counts: tuple[Count, ...]
    summary: dict[str, float] | None
    breakdowns: dict[str, dict[str, tuple[Count, ...]]]
    breakdown_totals: dict[str, dict[str, Count]] = field(default_factory=dict)


def question_result(
    question: Question, values: Values, chosen: Options, threshold: int
) -> QuestionResult:
    """The results of `question` from its answers' counts and, for multi-select, its options'."""
    keys, labels = _keys(question, values)
    table = Table(threshold)
    overall = values.get(None, {})

    def answered_in(by_value: Mapping[tuple[bool, str | None], int]) -> int:
        return sum(n for (skip, _), n in by_value.items() if not skip)

    def option_count(group: Group, key: str) -> int:
        if question.type == "multi":
            return chosen.get(group, {}).get(key, 0)
        return values.get(group, {}).get((False, key), 0)

    per_group = keys if question.type in BROKEN_DOWN else []

    def add_row(group: Group) -> None:
        total = answered_in(values.get(group, {}))
        table.add((group, ANSWERED), total, overall=group is None, total=True)
        row_keys = keys if group is None else per_group
        cells = [(group, key) for key in row_keys]
        for cell, key in zip(cells, row_keys, strict=True):
            table.add(cell, option_count(group, key), overall=group is None)
        total_cell = (group, ANSWERED)
        if question.type == "multi":
            for cell in cells:
                table.line([cell, total_cell], implicit=total - table.value(cell))
        elif question.type != "text":
            table.line([*cells, total_cell])
        if group is not None and 0 < total < threshold:
            table.hide_group([*cells, total_cell])

    add_row(None)
    groups = {
        name: ordered(name, (g[1] for g in values if g is not None and g[0] == name))
        for name in DIMENSIONS
    }
    for name, members in groups.items():
        for member in members:
            add_row((name, member))
        for key in (ANSWERED, *per_group):
            table.line([*(((name, m), key) for m in members), (None, key)])
    table.answered_is_fixed((None, ANSWERED))
    skipped = sum(n for (skip, _), n in overall.items() if skip)
    table.add((None, "skipped"), skipped, overall=True)
    table.suppress()

    def row(group: Group) -> tuple[Count, ...]:
        row_keys = keys if group is None else per_group
        return tuple(table.count((group, key), labels[key], (group, ANSWERED)) for key in row_keys)

    answered = table.published((None, ANSWERED))
    total_answered = table.value((None, ANSWERED))
    summary = None
    if question.type in ("number", "scale") and total_answered >= threshold:
        summary = _summary({k: table.value((None, k)) for k in keys})
    return QuestionResult(
        id=question.id,
        type=question.type,
        text=english(question.text),
        answered=answered,
        skipped=table.published((None, "skipped")),
        counts=row(None),
        summary=summary,
        breakdowns={
            name: {m: row((name, m)) for m in members}
            for name, members in groups.items()
            if per_group
        },
        breakdown_totals={
            name: {m: table.count(((name, m), ANSWERED), "Answered", None) for m in members}
            for name, members in groups.items()
        },
    )


def _keys(question: Question, values: Values) -> tuple[list[str], dict[str, str]]:
    """The question's keys in definition order (then any unexpected values), and labels."""
    if question.type == "text":
        return [], {}
    if question.type in ("choice", "multi"):
        labels = {o.id: english(o.text) for o in question.options}
    elif question.type == "yesno":
        labels = {"yes": "Yes", "no": "No"}
    elif question.type == "scale":
        labels = {str(n): str(n) for n in range(1, 6)}
        for key, end in (("1", "low"), ("5", "high")):
            if end in question.labels:
                labels[key] = f"{key} {english(question.labels[end])}"
    else:
        labels = {}
    if question.type == "multi":
        return list(labels), labels
    seen = {v for (skip, v) in values.get(None, {}) if not skip and v is not None}
    extra = sorted(seen - set(labels), key=_value_order if question.type == "number" else str)
    for key in extra:
        labels[key] = key
    return [*labels], labels


def _value_order(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _summary(distribution: Mapping[str, int]) -> dict[str, float] | None:
    """Mean, median, min and max of a value -> people distribution (numbers only)."""
    numbers: list[tuple[float, int]] = []
    for key, n in distribution.items():
        try:
            numbers.append((float(key), n))
        except ValueError:
            continue
    numbers = sorted((v, n) for v, n in numbers if n > 0)
    people = sum(n for _, n in numbers)
    if not people:
        return None

    def nth(position: int) -> float:  # 0-based, over the sorted values
        seen = 0
        for value, n in numbers:
            seen += n
            if position < seen:
                return value
        return numbers[-1][0]

    middle = (nth((people - 1) // 2) + nth(people // 2)) / 2
    return {
        "mean": round(sum(v * n for v, n in numbers) / people, 2),
        "median": middle,
        "min": numbers[0][0],
        "max": numbers[-1][0],
    }


def english(texts: Texts) -> str:
    """The English text, or the first there is."""
    return texts.get("en") or next(iter(texts.values()), "")


def ordered(dimension: str, groups: Iterable[str | None]) -> list[str]:
    """A dimension's groups in display order (age bands youngest first), NULL as unknown."""
    found = {group if group is not None else UNKNOWN for group in groups}
    if dimension == "age_band":
        rank = {band: index for index, band in enumerate(AGE_BANDS)}
        return sorted(found, key=lambda g: (rank.get(g, len(rank)), g))
    return sorted(found)
