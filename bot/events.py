"""Event use-cases: create or change (and announce), cancel, remind, and fill freed places.

The CLI and the dashboard call the same functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import ObjectDeletedError

from bot.consultations import snapshot_for
from bot.settings import ConfigError
from conversations import effects as fx
from conversations.events.model import Event
from conversations.flows import event_messages as say
from conversations.flows import events as flow
from conversations.flows.base import Ctx
from conversations.types import Channel, EngineConfig, OutgoingMessage
from storage import contact_effects, contacts
from storage import event_rsvps as rsvps
from storage import events as store
from storage.db import transaction
from storage.event_models import Event as EventRow
from storage.event_models import EventRsvp
from storage.models import ContactIdentity
from storage.outbox_groups import Messages

if TYPE_CHECKING:
    from bot.container import Container

QUIET_MARGIN = timedelta(minutes=30)  # a reminder pulled out of quiet hours goes this early


@dataclass(frozen=True, slots=True)
class Outcome:
    event_id: str
    created: bool
    messages: int


def _messages(config: EngineConfig, event: Event, kind: str) -> Messages:
    """The message a group (language, channel) gets: announcement, change, reminder…"""
    build = {
        "announce": say.announcement,
        "changed": say.changed,
        "cancelled": say.cancelled,
        "reminder": say.reminder,
    }[kind]

    def messages(language: str, channel: str, _key: str | None) -> tuple[OutgoingMessage, ...]:
        return (build(snapshot_for(config, language, channel, event.community), event),)

    return messages


def create(container: Container, event: Event, actor: str | None = None) -> Outcome:
    """Create and announce an event, or apply a change and tell those who said yes or maybe."""
    with transaction(container.sessions) as session:
        return save_event(container, session, event, actor)


def update(container: Container, event: Event, actor: str | None = None) -> Outcome:
    """Change an existing event (never create one) and tell those it concerns."""
    with transaction(container.sessions) as session:
        if session.get(EventRow, event.id) is None:
            raise ConfigError(f"no event with id {event.id!r}")
        return save_event(container, session, event, actor)


def save_event(
    container: Container, session: Session, event: Event, actor: str | None = None
) -> Outcome:
    """`create` inside the caller's transaction (so an audit entry can commit with it).

    A new event is announced to its audience; a changed time or venue is sent to those who said
    yes or maybe; a raised capacity gives places to those waiting.
    """
    now = container.clock()
    if event.community not in container.engine.config.communities:
        raise ConfigError(f"unknown community {event.community!r}")
    if event.ends_at <= now:
        raise ConfigError(f"{event.id} has already ended: nothing to announce")
    config, timezone = container.engine.config, container.settings.timezone
    existing = session.get(EventRow, event.id)
    if existing is not None and existing.status == "cancelled":
        raise ConfigError(f"{event.id!r} was cancelled; give a new event a new id")
    if existing is not None:
        # Those waiting, before the event row that saving locks: a raised capacity gives them
        # places under their own locks (fill_places), and their messages take those before
        # the event's, so the same order here never deadlocks with one of them answering.
        rsvps.lock_waiting(session, event.id)
    saved = store.save(session, event, now, actor)
    today = now.astimezone(ZoneInfo(timezone)).date()
    if saved.is_new:
        announcement = _messages(config, event, "announce")
        version = config.privacy_notice_version
        sent = store.announce(session, saved.row, today, announcement, now, version)
    else:
        sent = 0
        if saved.moved:
            changed = _messages(config, event, "changed")
            sent = store.tell(
                session, saved.row, ("yes", "maybe"), changed, "changed", now, ask=True
            )
        sent += fill_places(config, session, saved.row, now)
    return Outcome(event.id, saved.is_new, sent)


def cancel(container: Container, event_id: str) -> int:
    """Cancel an event and tell, in their language, everyone who said yes or maybe."""
    with transaction(container.sessions) as session:
        return cancel_event(container, session, event_id)


def cancel_event(container: Container, session: Session, event_id: str) -> int:
    """`cancel` inside the caller's transaction; 0 when it was already cancelled."""
    now = container.clock()
    row = session.get(EventRow, event_id, with_for_update=True)
    if row is None:
        raise ConfigError(f"no event with id {event_id!r}")
    if row.status == "cancelled":
        return 0
    row.status, row.updated_at = "cancelled", now
    event = Event.from_json(row.definition)
    cancelled = _messages(container.engine.config, event, "cancelled")
    return store.tell(session, row, ("yes", "maybe", "waitlist"), cancelled, "cancelled", now)


def fill_places(config: EngineConfig, session: Session, row: EventRow, now: datetime) -> int:
    """Give freed places to the longest-waiting residents, and tell each of them."""
    told = 0
    while (waiting := rsvps.next_waiting(session, row)) is not None:
        # Their lock first, as their own messages take it: a message of theirs being
        # processed elsewhere finishes before their place and conversation are written here,
        # and is not overwritten by what was read before it committed.
        contact = contacts.lock_if_present(session, waiting.contact_id)
        try:
            session.refresh(waiting)
        except ObjectDeletedError:  # erased meanwhile, place and all: next in line
            continue
        if contact is None or waiting.answer != "waitlist":  # changed their mind meanwhile
            continue
        waiting.answer, waiting.answered_at = "yes", now
        identity = session.scalars(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id == contact.id, ContactIdentity.reachable.is_(True))
            .order_by(ContactIdentity.id)
        ).first()
        session.flush()
        if identity is None:
            continue
        view = contacts.snapshot(session, contact, Channel(identity.channel))
        event = Event.from_json(row.definition)
        message = say.place_freed(Ctx(config, view, now), event)
        effects: list[fx.Effect] = [fx.Reply(message)]
        if identity.channel == Channel.TELEGRAM.value:
            effects.append(fx.SendCalendar(row.id))
        # An SMS "NO" in reply to this should give the place back: await it if the parent is free.
        state = flow.state_for(event) if view.state.flow is None else view.state
        result = fx.StepResult(state, tuple(effects))
        contact_effects.apply(session, contact, identity, result, now)
        told += 1
    return told


def after_rsvp(
    config: EngineConfig, session: Session, result: fx.StepResult, now: datetime
) -> None:
    """A parent who gave up a place frees it for the next on the waiting list."""
    for effect in result.effects:
        if isinstance(effect, fx.RecordRsvp) and effect.answer != "yes":
            row = session.get(EventRow, effect.event_id)
            if row is not None and row.status == "announced":
                fill_places(config, session, row, now)


def reminder_time(
    starts: datetime, before: timedelta, quiet: tuple[time, time], tz: str
) -> datetime:
    """When a reminder goes: `before` the start, or just before quiet hours if it falls in them."""
    zone = ZoneInfo(tz)
    due = (starts - before).astimezone(zone)
    quiet_start, quiet_end = quiet
    clock = due.time()
    inside = (
        quiet_start <= clock or clock < quiet_end
        if quiet_start > quiet_end
        else quiet_start <= clock < quiet_end
    )
    if not inside:
        return due
    day = due.date() if clock >= quiet_start else due.date() - timedelta(days=1)
    return datetime.combine(day, quiet_start, zone) - QUIET_MARGIN


def run_event_pass(container: Container, now: datetime) -> int:
    """Send each reminder that has come due, once, to residents who said yes."""
    settings = container.settings
    written = 0
    with transaction(container.sessions) as session:
        rows = session.scalars(
            select(EventRow).where(EventRow.status == "announced", EventRow.starts_at > now)
        ).all()
        version = container.engine.config.privacy_notice_version
        for row in rows:
            event = Event.from_json(row.definition)
            announcement = _messages(container.engine.config, event, "announce")
            written += store.announce_held(session, row, announcement, now, version)
            times = sorted(
                reminder_time(row.starts_at, before, settings.quiet_window, settings.timezone)
                for before in event.reminders
            )
            due = [t for t in times if t <= now]
            if not due:
                continue
            latest = due[-1]  # an earlier reminder missed by then is not sent as well
            index = times.index(latest)
            reminders = _messages(container.engine.config, event, "reminder")
            written += store.tell(
                session,
                row,
                ("yes",),
                reminders,
                f"r{index}",
                now,
                answered_before=latest,
                ask=True,
                notice_version=version,
            )
    return written


__all__ = [
    "EventRsvp",
    "Outcome",
    "after_rsvp",
    "cancel",
    "cancel_event",
    "create",
    "run_event_pass",
    "save_event",
    "update",
]
