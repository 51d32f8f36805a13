"""Read queries for the staff dashboard's events: every event's answers at once, and RSVP lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.event_models import Event as EventRow
from storage.event_models import EventRsvp
from storage.models import Contact


@dataclass(frozen=True, slots=True)
class RsvpRow:
    """One parent told about an event or answering, by pseudonymous code only."""

    code: str
    language: str
    channel: str
    answer: str | None
    attended: bool | None
    simulated: bool


def events_in(session: Session, communities: Sequence[str]) -> list[EventRow]:
    """Every event in these communities, soonest first."""
    return list(
        session.scalars(
            select(EventRow)
            .where(EventRow.community_id.in_(communities))
            .order_by(EventRow.starts_at, EventRow.id)
        )
    )


def answer_counts(session: Session, event_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """event id -> answer ("none" for no answer yet, "attended") -> real parents (no simulated)."""
    found: dict[str, dict[str, int]] = {event_id: {} for event_id in event_ids}
    if not event_ids:
        return found
    real = (EventRsvp.event_id.in_(event_ids), Contact.is_simulated.is_(False))
    answers = session.execute(
        select(EventRsvp.event_id, func.coalesce(EventRsvp.answer, "none"), func.count())
        .join(Contact, Contact.id == EventRsvp.contact_id)
        .where(*real)
        .group_by(EventRsvp.event_id, EventRsvp.answer)
    )
    for event_id, answer, n in answers:
        found[event_id][answer] = n
    attended = session.execute(
        select(EventRsvp.event_id, func.count())
        .join(Contact, Contact.id == EventRsvp.contact_id)
        .where(*real, EventRsvp.attended.is_(True))
        .group_by(EventRsvp.event_id)
    )
    for event_id, n in attended:
        found[event_id]["attended"] = n
    return found


def rsvp_list(session: Session, event_id: str) -> list[RsvpRow]:
    """Everyone who answered (not those only told), waiting list in the order places go."""
    rows = session.execute(
        select(
            Contact.code,
            EventRsvp.language,
            EventRsvp.channel,
            EventRsvp.answer,
            EventRsvp.attended,
            Contact.is_simulated,
        )
        .join(Contact, Contact.id == EventRsvp.contact_id)
        .where(EventRsvp.event_id == event_id, EventRsvp.answer.is_not(None))
        .order_by(EventRsvp.answered_at, EventRsvp.id)
    )
    return [RsvpRow(*row) for row in rows]
