"""What the dashboard needs for events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from conversations.events.model import Event


@dataclass(frozen=True, slots=True)
class EventCounts:
    """Real parents (simulated ones left out) by what they answered."""

    going: int = 0
    maybe: int = 0
    waiting: int = 0
    cant_come: int = 0
    attended: int = 0


@dataclass(frozen=True, slots=True)
class EventSummary:
    event: Event
    status: str  # announced, cancelled
    counts: EventCounts
    ended: bool


@dataclass(frozen=True, slots=True)
class RsvpLine:
    """One answer, by pseudonymous code: never a phone number or Telegram id."""

    code: str
    language: str
    channel: str
    answer: str  # yes, maybe, no, waitlist
    attended: bool | None
    simulated: bool


@dataclass(frozen=True, slots=True)
class EventDetail:
    event: Event
    status: str
    version: int
    counts: EventCounts
    rsvps: tuple[RsvpLine, ...]
    started: bool
    ended: bool


@dataclass(frozen=True, slots=True)
class Saved:
    event_id: str
    created: bool
    told: int  # parents the announcement, change or freed place was sent to


class EventRefused(Exception):
    """The change cannot be made; `msgid` says why (a catalog message)."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


class EventsPort(Protocol):
    """Implemented by bot/desks/events.py; every change writes an audit entry with it."""

    def list_events(self, communities: Sequence[str]) -> list[EventSummary]: ...

    def detail(self, event_id: str) -> EventDetail | None: ...

    def create(self, event: Event, actor: str) -> Saved: ...

    def update(self, event: Event, actor: str) -> Saved: ...

    def cancel(self, event_id: str, actor: str) -> int: ...

    def mark_attendance(
        self, event_id: str, attended: Sequence[str], absent: Sequence[str], actor: str
    ) -> int: ...
