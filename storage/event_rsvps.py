"""Event RSVPs: answers against the capacity, the waiting list and its locks, attendance and
the counts the dashboard and the CLI show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.base import affected
from storage.event_models import Event as EventRow
from storage.event_models import EventRsvp
from storage.models import Contact, ContactIdentity

BOOKED = "yes"


def record_rsvp(
    session: Session,
    contact: Contact,
    identity: ContactIdentity,
    event_id: str,
    answer: str,
    now: datetime,
) -> bool:
    """Store an answer; a yes to a full event waits on the list. True if a place was freed."""
    row = session.get(EventRow, event_id, with_for_update=True)
    if row is None:
        return False
    rsvp = session.scalars(
        select(EventRsvp).where(EventRsvp.event_id == event_id, EventRsvp.contact_id == contact.id)
    ).one_or_none()
    if rsvp is None:
        rsvp = EventRsvp(
            event_id=event_id,
            contact_id=contact.id,
            language=contact.language or "en",
            channel=identity.channel,
        )
        session.add(rsvp)
    before = rsvp.answer
    # The capacity holds even when two parents take the last place at once (row lock above).
    full = row.capacity is not None and booked_count(session, event_id) >= row.capacity
    if answer == BOOKED and before != BOOKED and full:
        answer = "waitlist"
    rsvp.answer, rsvp.answered_at = answer, now
    session.flush()
    return before == BOOKED and answer != BOOKED


def booked_count(session: Session, event_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).where(EventRsvp.event_id == event_id, EventRsvp.answer == BOOKED)
        )
        or 0
    )


def lock_waiting(session: Session, event_id: str) -> None:
    """The contacts on the event's waiting list, locked in id order, as `contacts.lock` locks
    one (their messages take their own lock before the event's)."""
    waiting = select(EventRsvp.contact_id).where(
        EventRsvp.event_id == event_id, EventRsvp.answer == "waitlist"
    )
    locking = select(Contact.id).where(Contact.id.in_(waiting)).order_by(Contact.id)
    session.execute(locking.with_for_update(key_share=True)).all()


def next_waiting(session: Session, row: EventRow) -> EventRsvp | None:
    """The longest-waiting resident, if the event has a free place for them."""
    if row.capacity is not None and booked_count(session, row.id) >= row.capacity:
        return None
    return session.scalars(
        select(EventRsvp)
        .join(Contact, Contact.id == EventRsvp.contact_id)
        .where(
            EventRsvp.event_id == row.id,
            EventRsvp.answer == "waitlist",
            Contact.status == "active",
        )
        .order_by(EventRsvp.answered_at, EventRsvp.id)
        .limit(1)
    ).first()


def mark_attendance(session: Session, event_id: str, codes: list[str], attended: bool) -> int:
    """Mark residents (by their pseudonymous codes) as having come, or not."""
    ids = select(Contact.id).where(Contact.code.in_(codes))
    return affected(
        session.execute(
            update(EventRsvp)
            .where(EventRsvp.event_id == event_id, EventRsvp.contact_id.in_(ids))
            .values(attended=attended)
            .execution_options(synchronize_session=False)
        )
    )


def rsvp_rows(
    session: Session, event_id: str
) -> list[tuple[str, str, str, str | None, bool | None]]:
    """(code, language, channel, answer, attended) for every resident told or answering."""
    return [
        tuple(r)  # type: ignore[misc]
        for r in session.execute(
            select(
                Contact.code,
                EventRsvp.language,
                EventRsvp.channel,
                EventRsvp.answer,
                EventRsvp.attended,
            )
            .join(Contact, Contact.id == EventRsvp.contact_id)
            .where(EventRsvp.event_id == event_id)
            .order_by(EventRsvp.answer, Contact.code)
        )
    ]


def counts(session: Session, event_id: str) -> dict[str, int]:
    rows = session.execute(
        select(func.coalesce(EventRsvp.answer, "no answer"), func.count())
        .where(EventRsvp.event_id == event_id)
        .group_by(EventRsvp.answer)
    )
    found: dict[str, int] = {answer: n for answer, n in rows}
    found["attended"] = (
        session.scalar(
            select(func.count()).where(EventRsvp.event_id == event_id, EventRsvp.attended.is_(True))
        )
        or 0
    )
    return found
