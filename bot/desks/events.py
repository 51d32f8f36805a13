"""The service behind the dashboard's events: the CLI's use cases, each with an audit entry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from admin.auth import N_
from admin.ports.events import (
    EventCounts,
    EventDetail,
    EventRefused,
    EventSummary,
    RsvpLine,
    Saved,
)
from bot import events as use
from bot.settings import ConfigError
from conversations.events.model import Event
from storage import audit
from storage import event_board as board
from storage import event_rsvps as rsvps
from storage.db import transaction
from storage.event_models import Event as EventRow

if TYPE_CHECKING:
    from bot.container import Container

TAKEN = N_("There is already an event with this id: choose another.")
ENDED = N_("This event has already ended, so it can no longer be changed.")
CANCELLED = N_("This event has been cancelled, so it can no longer be changed.")
PASSED = N_("That time has already passed: choose a later date.")
NOT_STARTED = N_("Attendance can be marked once the event has started.")
REFUSED = N_("That change could not be made. Check the details and try again.")


def _counts(found: dict[str, int]) -> EventCounts:
    return EventCounts(
        going=found.get("yes", 0),
        maybe=found.get("maybe", 0),
        waiting=found.get("waitlist", 0),
        cant_come=found.get("no", 0),
        attended=found.get("attended", 0),
    )


class EventsDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def list_events(self, communities: Sequence[str]) -> list[EventSummary]:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            rows = board.events_in(session, communities)
            counts = board.answer_counts(session, [row.id for row in rows])
            return [
                EventSummary(
                    Event.from_json(row.definition),
                    row.status,
                    _counts(counts[row.id]),
                    row.ends_at <= now,
                )
                for row in rows
            ]

    def detail(self, event_id: str) -> EventDetail | None:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = session.get(EventRow, event_id)
            if row is None:
                return None
            counts = board.answer_counts(session, [event_id])[event_id]
            rsvps = tuple(
                RsvpLine(r.code, r.language, r.channel, r.answer or "", r.attended, r.simulated)
                for r in board.rsvp_list(session, event_id)
            )
            return EventDetail(
                Event.from_json(row.definition),
                row.status,
                row.version,
                _counts(counts),
                rsvps,
                started=row.starts_at <= now,
                ended=row.ends_at <= now,
            )

    def create(self, event: Event, actor: str) -> Saved:
        with transaction(self._container.sessions) as session:
            if session.get(EventRow, event.id) is not None:
                raise EventRefused(TAKEN)
            if event.ends_at <= self._container.clock():
                raise EventRefused(PASSED)
            return self._save(session, event, actor, "event.create")

    def update(self, event: Event, actor: str) -> Saved:
        with transaction(self._container.sessions) as session:
            row = session.get(EventRow, event.id)
            if row is None:
                raise EventRefused(REFUSED)
            if row.status == "cancelled":
                raise EventRefused(CANCELLED)
            if row.ends_at <= self._container.clock():
                raise EventRefused(ENDED)
            return self._save(session, event, actor, "event.update")

    def _save(self, session: Session, event: Event, actor: str, action: str) -> Saved:
        try:
            outcome = use.save_event(self._container, session, event, actor)
        except ConfigError as error:
            raise EventRefused(ENDED if "ended" in str(error) else REFUSED) from error
        audit.record(
            session,
            at=self._container.clock(),
            actor=actor,
            action=action,
            subject=f"event:{event.id}",
            community_id=event.community,
            detail={"told": outcome.messages},
        )
        return Saved(event.id, outcome.created, outcome.messages)

    def cancel(self, event_id: str, actor: str) -> int:
        with transaction(self._container.sessions) as session:
            row = session.get(EventRow, event_id)
            if row is None or row.status == "cancelled":
                raise EventRefused(CANCELLED if row is not None else REFUSED)
            if row.ends_at <= self._container.clock():
                raise EventRefused(ENDED)
            told = use.cancel_event(self._container, session, event_id)
            audit.record(
                session,
                at=self._container.clock(),
                actor=actor,
                action="event.cancel",
                subject=f"event:{event_id}",
                community_id=row.community_id,
                detail={"told": told},
            )
            return told

    def mark_attendance(
        self, event_id: str, attended: Sequence[str], absent: Sequence[str], actor: str
    ) -> int:
        with transaction(self._container.sessions) as session:
            row = session.get(EventRow, event_id)
            if row is None:
                raise EventRefused(REFUSED)
            if row.status == "cancelled":
                raise EventRefused(CANCELLED)
            if row.starts_at > self._container.clock():
                raise EventRefused(NOT_STARTED)
            marked = rsvps.mark_attendance(session, event_id, list(attended), True)
            marked += rsvps.mark_attendance(session, event_id, list(absent), False)
            audit.record(
                session,
                at=self._container.clock(),
                actor=actor,
                action="event.attendance",
                subject=f"event:{event_id}",
                community_id=row.community_id,
                detail={"attended": len(attended), "absent": len(absent), "marked": marked},
            )
            return marked
