"""Events in the database: saving, announcing, telling those concerned, the upcoming list and
calendar files. RSVPs, the waiting list and attendance: storage/event_rsvps.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, func, literal, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.events.ics import calendar_file, file_name
from conversations.events.model import Event
from conversations.types import EventView
from storage.base import UTCDateTime
from storage.consent import consented
from storage.consultation_audience import audience_rows
from storage.event_models import Event as EventRow
from storage.event_models import EventRsvp
from storage.event_rsvps import BOOKED
from storage.models import Contact, ContactIdentity
from storage.models import ConversationState as StateRow
from storage.outbox import enqueue_document
from storage.outbox_groups import Messages, enqueue_groups

FLOW = "event"  # conversations.flows.events.FLOW; storage never imports flows


@dataclass(frozen=True, slots=True)
class Saved:
    """What saving a definition changed, so the right people can be told."""

    row: EventRow
    is_new: bool
    moved: bool  # time or venue changed: everyone who said yes or maybe is told


def save(session: Session, event: Event, now: datetime, actor: str | None) -> Saved:
    """Create the event, or update it (a new version when its time or venue changes)."""
    row = session.get(EventRow, event.id, with_for_update=True)
    is_new = row is None
    moved = False
    if row is None:
        row = EventRow(id=event.id, status="announced", version=1, created_at=now, created_by=actor)
    else:
        before = Event.from_json(row.definition)
        moved = (before.starts_at, before.ends_at, dict(before.venue)) != (
            event.starts_at,
            event.ends_at,
            dict(event.venue),
        )
        row.version += 1 if moved else 0
    row.definition, row.community_id = event.to_json(), event.community
    row.starts_at, row.ends_at, row.capacity = event.starts_at, event.ends_at, event.capacity
    row.updated_at = now
    session.add(row)
    session.flush()
    return Saved(row, is_new, moved)


def announce(
    session: Session,
    row: EventRow,
    today: date,
    messages: Messages,
    now: datetime,
    notice_version: str,
) -> int:
    """Tell the audience: one INSERT … SELECT of RSVP rows, then one per language and channel.

    Those yet to agree to `notice_version` get a row with no `invited_at`: `announce_held`
    tells them once they agree.
    """
    event = Event.from_json(row.definition)
    told_at = case((consented(notice_version), literal(now, UTCDateTime())), else_=null())
    people = audience_rows(event.audience, today).add_columns(told_at).subquery()
    contact_id, _community, language, channel, _band, invited = list(people.c)[:6]
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(EventRsvp.__table__)
        .from_select(
            ["event_id", "contact_id", "language", "channel", "invited_at"],
            # SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT.
            select(literal(row.id), contact_id, language, channel, invited).where(
                contact_id.is_not(None)
            ),
        )
        .on_conflict_do_nothing()
    )
    row.announced_at = row.announced_at or now
    return _tell_invited(session, row, messages, now)


def announce_held(
    session: Session, row: EventRow, messages: Messages, now: datetime, notice_version: str
) -> int:
    """Announce the event to those held back until they agreed to the current notice."""
    agreed = select(Contact.id).where(Contact.status == "active", consented(notice_version))
    session.execute(
        update(EventRsvp)
        .where(
            EventRsvp.event_id == row.id,
            EventRsvp.invited_at.is_(None),
            EventRsvp.answer.is_(None),
            EventRsvp.contact_id.in_(agreed),
        )
        .values(invited_at=now)
        .execution_options(synchronize_session=False)
    )
    return _tell_invited(session, row, messages, now)


def _tell_invited(session: Session, row: EventRow, messages: Messages, now: datetime) -> int:
    """The announcement for everyone whose RSVP row was told at `now`."""
    told = and_(EventRsvp.event_id == row.id, EventRsvp.invited_at == now)
    # Idle parents' next SMS reply ("1", "Ie") answers the announcement.
    _await_reply(session, row.id, select(EventRsvp.contact_id).where(told), now)
    recipients = select(EventRsvp.contact_id, EventRsvp.language, EventRsvp.channel, _none()).where(
        told
    )
    return enqueue_groups(
        session, recipients, messages, f"e:{row.id}:announce", now, expires_at=row.starts_at
    )


def _await_reply(session: Session, event_id: str, contacts: Any, now: datetime) -> None:
    """Put these parents, if they are not in another conversation, at the RSVP question."""
    session.execute(
        update(StateRow)
        .where(StateRow.flow.is_(None), StateRow.contact_id.in_(contacts))
        .values(flow=FLOW, step="rsvp", data={"e": event_id}, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _none() -> Any:
    return null().cast(String)


def tell(
    session: Session,
    row: EventRow,
    answers: tuple[str, ...],
    messages: Messages,
    purpose: str,
    now: datetime,
    answered_before: datetime | None = None,
    ask: bool = False,
    notice_version: str | None = None,
) -> int:
    """Send one message to everyone whose answer is in `answers` (e.g. a change, a reminder).

    With `ask`, idle parents' next SMS reply ("NO", "3") answers it, as after an announcement.
    """
    people = (
        select(EventRsvp.contact_id, EventRsvp.language, EventRsvp.channel, _none())
        .join(Contact, Contact.id == EventRsvp.contact_id)
        .where(
            EventRsvp.event_id == row.id,
            EventRsvp.answer.in_(answers),
            Contact.status == "active",
        )
    )
    if answered_before is not None:
        people = people.where(EventRsvp.answered_at <= answered_before)
    if notice_version is not None:  # a reminder waits for agreement to the current notice
        people = people.where(consented(notice_version))
    if ask:
        _await_reply(session, row.id, select(people.subquery().c[0]), now)
    key = f"e:{row.id}:v{row.version}:{purpose}"
    return enqueue_groups(session, people, messages, key, now, expires_at=row.starts_at)


def upcoming(
    session: Session, contact_id: int, community: str, now: datetime
) -> tuple[EventView, ...]:
    """The events a parent can still answer, with places left and their own answer."""
    booked = (
        select(func.count())
        .where(EventRsvp.event_id == EventRow.id, EventRsvp.answer == BOOKED)
        .correlate(EventRow)
        .scalar_subquery()
    )
    mine = (
        select(EventRsvp.answer)
        .where(EventRsvp.event_id == EventRow.id, EventRsvp.contact_id == contact_id)
        .correlate(EventRow)
        .scalar_subquery()
    )
    rows = session.execute(
        select(EventRow, booked, mine)
        .where(
            EventRow.community_id == community,
            EventRow.status == "announced",
            EventRow.starts_at > now,
        )
        .order_by(EventRow.starts_at)
        .limit(10)
    ).all()
    return tuple(
        EventView(
            Event.from_json(row.definition),
            None if row.capacity is None else max(row.capacity - count, 0),
            answer,
        )
        for row, count, answer in rows
    )


def send_calendar(
    session: Session, contact: Contact, identity: ContactIdentity, event_id: str, now: datetime
) -> None:
    """The event as an .ics file, in the parent's language (Telegram only)."""
    row = session.get(EventRow, event_id)
    if row is None or identity.channel != "telegram":
        return
    event = Event.from_json(row.definition)
    lang = contact.language or "en"
    content = calendar_file(event, lang, now, sequence=row.version - 1)
    enqueue_document(
        session,
        contact.id,
        identity,
        file_name(event),
        content,
        event.title.get(lang) or event.title.get("en", ""),
        now,
    )
