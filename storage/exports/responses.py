"""Consultation responses: one row per respondent, one column per question (per option for a
multiple-choice question): each invite with the answers pivoted on it as they were stored,
streamed. On PostgreSQL the CSV comes straight from COPY (responses_copy.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, tablesample, true
from sqlalchemy.orm import Session

from conversations.consultations.model import Consultation, Question
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationInvite
from storage.exports import responses_copy
from storage.exports.common import (
    IDENTITY_COLUMNS,
    YES_NO,
    Context,
    Table,
    english,
    identities,
    number,
    real,
    streamed,
)
from storage.exports.pg_parallel import Within
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


def pivot(
    ctx: Context,
    consultation_id: str,
    questions: list[Question],
    within: Within | None = None,
) -> Select[*tuple[Any, ...]]:
    """One row per invite, in start order: its columns, the identities when identifiable,
    and one column per question (`q0`, `q1`, …) holding the stored value, read from the
    invite's pivoted answers (no GROUP BY over the answers). `within(column)` keeps only the
    contacts whose id it holds for (a range of a split export)."""
    invite = ConsultationInvite
    only: list[ColumnElement[bool]] = [true()]
    if within is not None:
        only = [within(invite.contact_id), within(Contact.id)]
    ids = identities()
    who = [Contact.code, ids.c.phone, ids.c.telegram] if ctx.identifiable else []
    query = (
        select(
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
            *(
                invite.answers[q.id].as_string().label(f"q{index}")
                for index, q in enumerate(questions)
            ),
        )
        .select_from(invite)
        .join(Contact, real(invite.contact_id))
    )
    if ctx.identifiable:
        query = query.outerjoin(ids, ids.c.contact_id == invite.contact_id)
    # By the start time the file shows anyway: the order reveals nothing more (not ids).
    query = query.where(*conditions(ctx, consultation_id), *only)
    return query.order_by(*ORDER)


ORDER = (ConsultationInvite.started_at, ConsultationInvite.id)


def contact_ids(
    ctx: Context, consultation_id: str, sample: float | None = None
) -> Select[*tuple[Any, ...]]:
    """The exported invites' contact ids, to cut a large export into ranges of them; with
    `sample`, only those of about that share of the invites (whole pages drawn at random)."""
    invite = ConsultationInvite
    query = select(invite.contact_id).join(Contact, real(invite.contact_id))
    if sample is not None:
        drawn = tablesample(invite.__table__, func.system(sample * 100), name="drawn")
        query = query.where(invite.id.in_(select(drawn.c.id)))
    return query.where(*conditions(ctx, consultation_id))


def conditions(ctx: Context, consultation_id: str) -> tuple[Any, ...]:
    invite = ConsultationInvite
    statuses = ("finished",) if ctx.filters.finished_only else ("started", "finished")
    return (
        invite.consultation_id == consultation_id,
        invite.status.in_(statuses),
        ctx.in_communities(invite.community_id),
        ctx.between(invite.started_at),
    )


def table(session: Session, ctx: Context) -> Table:
    consultation = load_consultation(session, ctx.filters.consultation)
    questions = [
        q for q in consultation.questions if q.type != "text" or ctx.filters.include_free_text
    ]
    query = pivot(ctx, consultation.id, questions)
    cells = [_cells(q) for q in questions]
    header = [*FIXED, *(IDENTITY_COLUMNS if ctx.identifiable else ())]
    for q in questions:
        header += [f"{q.id}:{o.id}" for o in q.options] if q.type == "multi" else [q.id]
    first_answer = 10 + (len(IDENTITY_COLUMNS) if ctx.identifiable else 0)

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
            answers: list[Cell] = []
            for make, value in zip(cells, found[first_answer:], strict=True):
                answers += make(value)
            yield [*fixed, *answers]

    count = contact_ids(ctx, consultation.id)  # one row per exported invite

    def ranged(within: Within | None) -> Select[*tuple[Any, ...]]:
        return pivot(ctx, consultation.id, questions, within)

    def ids(sample: float | None) -> Select[*tuple[Any, ...]]:
        return contact_ids(ctx, consultation.id, sample)

    copied = responses_copy.blocks(session, ctx, ranged, questions, ids)
    return Table(header, rows(), count, copied)


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
    texts = {o.id: english(o.text) for o in question.options}

    def single(value: str | None) -> list[Cell]:
        if value is None:
            return [None]
        if question.type == "choice":
            return [texts.get(value, value)]
        if question.type == "yesno":
            return [YES_NO.get(value, value)]
        if question.type in ("number", "scale"):
            return [number(value)]
        return [value]

    return single
