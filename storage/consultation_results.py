"""Consultation results: counts, percentages, response rates and breakdowns, small cells hidden.

Every number comes from a handful of GROUP BY statements (for the invites, then for the answers
and the multi-select options, each overall and per breakdown dimension); Python only arranges
the aggregated rows (the median comes from the value -> people distribution). Free-text
answers never leave the database: a text question's results are how many people answered it.

Small-cell suppression: see storage/suppression.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
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

from conversations.consultations.model import Consultation
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.models import Contact
from storage.question_results import (
    DIMENSIONS,
    UNKNOWN,
    Options,
    QuestionResult,
    Values,
    english,
    ordered,
    question_result,
)
from storage.suppression import Count, Suppression, Table

__all__ = ["Count", "QuestionResult", "Results", "Suppression", "results"]

SINGLE = ("choice", "yesno", "scale", "number", "date")  # one value per answer


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
        question_result(q, answers.get(q.id, {}), options.get(q.id, {}), threshold)
        for q in consultation.questions
    )
    return Results(
        consultation_id=consultation_id,
        title=english(consultation.title),
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
        groups[name] = ordered(name, (row[0] for row in rows))
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


def _answer_counts(session: Session, consultation: Consultation) -> dict[str, Values]:
    """question -> group -> (skipped, value) -> people, overall and for every dimension."""
    found: dict[str, Values] = defaultdict(lambda: defaultdict(dict))
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


def _multi_counts(session: Session, consultation: Consultation) -> dict[str, Options]:
    """question -> group -> option -> people who chose it, for multi-select questions."""
    pairs = [(q.id, o.id) for q in consultation.questions if q.type == "multi" for o in q.options]
    found: dict[str, Options] = defaultdict(lambda: defaultdict(dict))
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
