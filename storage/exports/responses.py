"""Consultation responses: one row per respondent, one column per question (per option for a
multiple-choice question), pivoted by one GROUP BY statement and streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from conversations.consultations.model import Consultation, Question, Texts
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.exports.common import IDENTITY_COLUMNS, Context, Table, identities, real, streamed
from storage.exports.spec import Cell, ExportError
from storage.models import Contact

FIXED = (
    "respondent",
    "community",
    "language",
    "channel",
    "age_band",
    "status",
    "reminders_sent",
    "started_at",
    "finished_at",
)


def load_consultation(session: Session, consultation_id: str | None) -> Consultation:
    if consultation_id is None:
        raise ExportError("this export needs a consultation (--consultation ID)")
    row = session.get(ConsultationRow, consultation_id)
    if row is None:
        raise ExportError(f"no consultation with id {consultation_id!r}")
    return Consultation.from_json(row.definition)


def table(session: Session, ctx: Context) -> Table:
    consultation = load_consultation(session, ctx.filters.consultation)
    questions = [
        q for q in consultation.questions if q.type != "text" or ctx.filters.include_free_text
    ]
    answer, invite = ConsultationAnswer, ConsultationInvite
    pivot = [
        func.max(
            case(
                (and_(answer.question_id == q.id, answer.skipped.is_(False)), answer.value),
                else_=None,
            )
        ).label(f"q{index}")
        for index, q in enumerate(questions)
    ]
    ids = identities()
    who = [Contact.code, ids.c.phone, ids.c.telegram] if ctx.identifiable else []
    grouped = [
        invite.id,
        invite.contact_id,
        invite.community_id,
        invite.language,
        invite.channel,
        invite.age_band,
        invite.status,
        invite.reminders_sent,
        invite.started_at,
        invite.finished_at,
        *who,
    ]
    statuses = ("finished",) if ctx.filters.finished_only else ("started", "finished")
    conditions = (
        invite.consultation_id == consultation.id,
        invite.status.in_(statuses),
        ctx.in_communities(invite.community_id),
        ctx.between(invite.started_at),
    )
    query = (
        select(*grouped, *pivot)
        .select_from(invite)
        .join(Contact, real(invite.contact_id))
        .outerjoin(
            answer,
            and_(
                answer.consultation_id == invite.consultation_id,
                answer.contact_id == invite.contact_id,
            ),
        )
    )
    if ctx.identifiable:
        query = query.outerjoin(ids, ids.c.contact_id == invite.contact_id)
    query = (
        query.where(*conditions)
        .group_by(*grouped)
        # By the start time the file shows anyway: the order reveals nothing more (not ids).
        .order_by(invite.started_at, invite.id)
    )
    cells = [_cells(q) for q in questions]
    header = [*FIXED, *(IDENTITY_COLUMNS if ctx.identifiable else ())]
    for q in questions:
        header += [f"{q.id}:{o.id}" for o in q.options] if q.type == "multi" else [q.id]

    def rows() -> Iterator[list[Cell]]:
        for found in streamed(session, query):
            fixed = [
                ctx.pseudonyms.code(found.contact_id),
                found.community_id,
                found.language,
                found.channel,
                found.age_band,
                found.status,
                found.reminders_sent,
                ctx.stamp(found.started_at),
                ctx.stamp(found.finished_at),
            ]
            if ctx.identifiable:
                fixed += [found.code, found.phone, found.telegram]
            values = found[len(grouped) :]
            answers: list[Cell] = []
            for make, value in zip(cells, values, strict=True):
                answers += make(value)
            yield [*fixed, *answers]

    count = select(invite.id).join(Contact, real(invite.contact_id)).where(*conditions)
    return Table(header, rows(), count)


def _cells(question: Question) -> Callable[[str | None], list[Cell]]:
    """How one question's stored value becomes its cells."""
    if question.type == "multi":
        option_ids = [o.id for o in question.options]

        def multi(value: str | None) -> list[Cell]:
            if value is None:
                return [None] * len(option_ids)
            chosen = set(value.split(","))
            return [1 if option in chosen else 0 for option in option_ids]

        return multi
    texts = {o.id: _english(o.text) for o in question.options}

    def single(value: str | None) -> list[Cell]:
        if value is None:
            return [None]
        if question.type == "choice":
            return [texts.get(value, value)]
        if question.type == "yesno":
            return [{"yes": "Yes", "no": "No"}.get(value, value)]
        if question.type in ("number", "scale"):
            return [_number(value)]
        return [value]

    return single


def _number(value: str) -> Cell:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _english(texts: Texts) -> str:
    return texts.get("en") or next(iter(texts.values()), "")
