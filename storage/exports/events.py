"""Event RSVPs and attendance: one row per resident told about an event, per event."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.event_models import Event, EventRsvp
from storage.exports.common import IDENTITY_COLUMNS, Context, Table, identities, real, streamed
from storage.exports.spec import Cell
from storage.models import Contact

FIXED = ("event", "event_starts_at", "event_status", "respondent")
AFTER = (
    "language",
    "channel",
    "answer",
    "waiting",
    "attended",
    "invited_at",
    "answered_at",
)


def table(session: Session, ctx: Context) -> Table:
    rsvp = EventRsvp
    ids = identities()
    who = [Contact.code, ids.c.phone, ids.c.telegram] if ctx.identifiable else []
    conditions = (ctx.in_communities(Event.community_id), ctx.between(Event.starts_at))
    query = (
        select(
            Event.id,
            Event.community_id,
            Event.starts_at,
            Event.status,
            rsvp.contact_id,
            rsvp.language,
            rsvp.channel,
            rsvp.answer,
            rsvp.attended,
            rsvp.invited_at,
            rsvp.answered_at,
            *who,
        )
        .select_from(rsvp)
        .join(Event, Event.id == rsvp.event_id)
        .join(Contact, real(rsvp.contact_id))
    )
    if ctx.identifiable:
        query = query.outerjoin(ids, ids.c.contact_id == rsvp.contact_id)
    query = query.where(*conditions).order_by(Event.starts_at, Event.id, rsvp.answered_at, rsvp.id)

    def rows() -> Iterator[list[Cell]]:
        for found in streamed(session, query):
            row: list[Cell] = [
                found.id,
                ctx.stamp(found.starts_at),
                found.status,
                ctx.pseudonyms.code(found.contact_id),
                found.community_id,
            ]
            if ctx.identifiable:
                row += [found.code, found.phone, found.telegram]
            attended = None if found.attended is None else int(found.attended)
            yield [
                *row,
                found.language,
                found.channel,
                found.answer,
                int(found.answer == "waitlist"),
                attended,
                ctx.stamp(found.invited_at),
                ctx.stamp(found.answered_at),
            ]

    count = (
        select(rsvp.id)
        .select_from(rsvp)
        .join(Event, Event.id == rsvp.event_id)
        .join(Contact, real(rsvp.contact_id))
        .where(*conditions)
    )
    header = [*FIXED, "community", *(IDENTITY_COLUMNS if ctx.identifiable else ()), *AFTER]
    return Table(header, rows(), count)
