"""Consultation results: counts, percentages, response rates and breakdowns, small cells hidden.

Every number comes from a handful of GROUP BY statements (for the invites, then for the answers
and the multi-select options, each overall and per breakdown dimension); Python only arranges
the aggregated rows (the median comes from the value -> people distribution). Free-text
answers never leave the database: a text question's results are how many people answered it.

Small-cell suppression: see storage/suppression.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from conversations.consultations.model import Consultation, Question, Texts
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.models import Contact
from storage.suppression import Count, Suppression, Table

__all__ = ["Count", "QuestionResult", "Results", "Suppression", "results"]

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
SINGLE = ("choice", "yesno", "scale", "number", "date")  # one value per answer
BROKEN_DOWN = ("choice", "multi", "scale", "yesno")  # per-option counts in every group
ANSWERED = "answered"  # the key of a group's total in `QuestionResult.breakdown_totals`


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


@dataclass(frozen=True)
class Results:
    """A consultation's results.

    `by_dimension`: dimension -> group -> Counts keyed invited, started, finished (the last two
    with their percentage of invited). Rates are fractions (0-1) of invited.
    """

    consultation_id: str
    title: str
    status: str
    invited: int
    started: int
    finished: int
    response_rate: float
    completion_rate: float
    by_dimension: dict[str, dict[str, tuple[Count, ...]]]
    questions: tuple[QuestionResult, ...]
    threshold: int


def results(session: Session, consultation_id: str, threshold: int = 5) -> Results:
    """Every result of one consultation (KeyError if there is no such consultation)."""
    if threshold < 1:
        raise ValueError("the small-cell threshold must be at least 1")
    row = session.get(ConsultationRow, consultation_id)
    if row is None:
        raise KeyError(consultation_id)
    consultation = Consultation.from_json(row.definition)
    headline, by_dimension = _responses(session, consultation_id, threshold)
    invited, started, finished = headline
    answers = _answer_counts(session, consultation)
    options = _multi_counts(session, consultation)
    questions = tuple(
        _question(q, answers.get(q.id, {}), options.get(q.id, {}), threshold)
        for q in consultation.questions
    )
    return Results(
        consultation_id=consultation_id,
        title=_english(consultation.title),
        status=row.status,
        invited=invited,
        started=started,
        finished=finished,
        response_rate=started / invited if invited else 0.0,
        completion_rate=finished / invited if invited else 0.0,
        by_dimension=by_dimension,
        questions=questions,
        threshold=threshold,
    )


# --- queries ---------------------------------------------------------------------------------

_Group = tuple[str, str] | None  # (dimension, group); None is everyone
# group -> (skipped, value or None) -> people
_Values = dict[_Group, dict[tuple[bool, str | None], int]]
# group -> option id -> people who chose it
_Options = dict[_Group, dict[str, int]]


def _real(contact_id: Any) -> ColumnElement[bool]:
    """Not a simulated contact (the terminal chat or the dashboard simulator): never counted."""
    return ~exists().where(Contact.id == contact_id, Contact.is_simulated.is_(True))


def _invite_dimension(name: str) -> ColumnElement[str]:
    invite = ConsultationInvite
    column = {
        "community": invite.community_id,
        "language": invite.language,
        "channel": invite.channel,
        "age_band": invite.age_band,
    }[name]
    return column.expression


def _responses(
    session: Session, consultation_id: str, threshold: int
) -> tuple[tuple[int, int, int], dict[str, dict[str, tuple[Count, ...]]]]:
    invite, answer = ConsultationInvite, ConsultationAnswer
    answered = exists().where(
        answer.consultation_id == invite.consultation_id, answer.contact_id == invite.contact_id
    )
    started = or_(
        invite.started_at.is_not(None), invite.status.in_(("started", "finished")), answered
    )
    finished = or_(invite.finished_at.is_not(None), invite.status == "finished")
    per_invite = (
        select(
            *(_invite_dimension(name).label(name) for name in DIMENSIONS),
            case((started, 1), else_=0).label("started"),
            case((finished, 1), else_=0).label("finished"),
        )
        .where(invite.consultation_id == consultation_id, _real(invite.contact_id))
        .subquery()
    )
    measures = (
        func.count().label("invited"),
        func.coalesce(func.sum(per_invite.c.started), 0).label("started"),
        func.coalesce(func.sum(per_invite.c.finished), 0).label("finished"),
    )
    total = session.execute(select(*measures)).one()
    headline = (int(total.invited), int(total.started), int(total.finished))
    table = Table(threshold)
    keys = ("invited", "started", "finished")
    for index, key in enumerate(keys):
        table.add((None, key), headline[index], overall=True, exact=True)
    groups: dict[str, list[str]] = {}
    for name in DIMENSIONS:
        column = per_invite.c[name]
        rows = session.execute(select(column, *measures).group_by(column)).all()
        groups[name] = _ordered(name, (row[0] for row in rows))
        for row in rows:
            group = (name, str(row[0]))
            values = (int(row.invited), int(row.started), int(row.finished))
            for key, value in zip(keys, values, strict=True):
                table.add((group, key), value, total=key == "invited")
            if 0 < values[0] < threshold:
                table.hide_group([(group, key) for key in keys])
        for key in keys:
            table.line([*(((name, g), key) for g in groups[name]), (None, key)])
    table.suppress()
    labels = {"invited": "Invited", "started": "Started", "finished": "Finished"}
    by_dimension = {
        name: {
            group: tuple(
                table.count(
                    ((name, group), key),
                    labels[key],
                    None if key == "invited" else ((name, group), "invited"),
                )
                for key in keys
            )
            for group in groups[name]
        }
        for name in DIMENSIONS
    }
    return headline, by_dimension


def _answer_rows(consultation: Consultation, name: str | None) -> Subquery:
    """One row per answer: its group in dimension `name`, question, skipped and value.

    The value is NULL for text and multi questions, so free text never leaves the database.
    """
    answer, invite = ConsultationAnswer, ConsultationInvite
    single = [q.id for q in consultation.questions if q.type in SINGLE]
    if name is None:
        group: ColumnElement[str] = literal_column("''", String).label("grp")
    elif name == "channel":  # where they were invited; else where they answered
        group = func.coalesce(invite.channel, answer.channel).label("grp")
    else:
        group = func.coalesce(_invite_dimension(name), literal(UNKNOWN, String)).label("grp")
    return (
        select(
            group,
            answer.question_id.label("qid"),
            answer.skipped.label("skipped"),
            answer.value.label("raw"),
            case((answer.question_id.in_(single), answer.value), else_=None).label("value"),
        )
        .select_from(answer)
        .outerjoin(
            invite,
            and_(
                invite.consultation_id == answer.consultation_id,
                invite.contact_id == answer.contact_id,
            ),
        )
        .where(answer.consultation_id == consultation.id, _real(answer.contact_id))
        .subquery()
    )


def _answer_counts(session: Session, consultation: Consultation) -> dict[str, _Values]:
    """question -> group -> (skipped, value) -> people, overall and for every dimension."""
    found: dict[str, _Values] = defaultdict(lambda: defaultdict(dict))
    for name in (None, *DIMENSIONS):
        rows = _answer_rows(consultation, name)
        statement = select(
            rows.c.grp, rows.c.qid, rows.c.skipped, rows.c.value, func.count().label("n")
        ).group_by(rows.c.grp, rows.c.qid, rows.c.skipped, rows.c.value)
        for grp, qid, skipped, value, n in session.execute(statement):
            group = None if name is None else (name, str(grp))
            skip = bool(skipped)
            cell = (skip, None if skip else value)
            by_value = found[qid][group]
            by_value[cell] = by_value.get(cell, 0) + int(n)
    return found


def _multi_counts(session: Session, consultation: Consultation) -> dict[str, _Options]:
    """question -> group -> option -> people who chose it, for multi-select questions."""
    pairs = [(q.id, o.id) for q in consultation.questions if q.type == "multi" for o in q.options]
    found: dict[str, _Options] = defaultdict(lambda: defaultdict(dict))
    if not pairs:
        return found
    for name in (None, *DIMENSIONS):
        rows = _answer_rows(consultation, name)
        padded = literal(",", String) + rows.c.raw + literal(",", String)
        chose = [
            and_(rows.c.qid == qid, padded.contains(f",{oid},", autoescape=True))
            for qid, oid in pairs
        ]
        sums = [
            func.coalesce(func.sum(case((when, 1), else_=0)), 0).label(f"c{index}")
            for index, when in enumerate(chose)
        ]
        statement = (
            select(rows.c.grp, *sums)
            .where(rows.c.qid.in_(sorted({qid for qid, _ in pairs})), rows.c.skipped.is_(False))
            .group_by(rows.c.grp)
        )
        for row in session.execute(statement):
            group = None if name is None else (name, str(row[0]))
            for (qid, oid), n in zip(pairs, row[1:], strict=True):
                found[qid][group][oid] = int(n)
    return found


# --- one question -----------------------------------------------------------------------------


def _question(
    question: Question, values: _Values, chosen: _Options, threshold: int
) -> QuestionResult:
    keys, labels = _keys(question, values)
    table = Table(threshold)
    overall = values.get(None, {})

    def answered_in(by_value: Mapping[tuple[bool, str | None], int]) -> int:
        return sum(n for (skip, _), n in by_value.items() if not skip)

    def option_count(group: _Group, key: str) -> int:
        if question.type == "multi":
            return chosen.get(group, {}).get(key, 0)
        return values.get(group, {}).get((False, key), 0)

    per_group = keys if question.type in BROKEN_DOWN else []

    def add_row(group: _Group) -> None:
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
        name: _ordered(name, (g[1] for g in values if g is not None and g[0] == name))
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

    def row(group: _Group) -> tuple[Count, ...]:
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
        text=_english(question.text),
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


def _keys(question: Question, values: _Values) -> tuple[list[str], dict[str, str]]:
    """The question's keys in definition order (then any unexpected values), and labels."""
    if question.type == "text":
        return [], {}
    if question.type in ("choice", "multi"):
        labels = {o.id: _english(o.text) for o in question.options}
    elif question.type == "yesno":
        labels = {"yes": "Yes", "no": "No"}
    elif question.type == "scale":
        labels = {str(n): str(n) for n in range(1, 6)}
        for key, end in (("1", "low"), ("5", "high")):
            if end in question.labels:
                labels[key] = f"{key} {_english(question.labels[end])}"
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


def _english(texts: Texts) -> str:
    return texts.get("en") or next(iter(texts.values()), "")


def _ordered(dimension: str, groups: Iterable[str | None]) -> list[str]:
    found = {group if group is not None else UNKNOWN for group in groups}
    if dimension == "age_band":
        rank = {band: index for index, band in enumerate(AGE_BANDS)}
        return sorted(found, key=lambda g: (rank.get(g, len(rank)), g))
    return sorted(found)


# --- suppression ------------------------------------------------------------------------------
