"""What the JSON API under /api needs: token sign-in and the consultation and event use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from admin.auth import StaffIdentity
from conversations.consultations.model import Consultation
from conversations.events.model import Event
from storage.consultation_results import Results


class ApiProblem(Exception):
    """A request the use case refused: the HTTP status and every message, for the caller."""

    def __init__(self, status: int, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = messages


@dataclass(frozen=True, slots=True)
class ConsultationView:
    id: str
    title: dict[str, str]
    status: str  # scheduled, open, closed
    community: str | None  # None: every community
    launch_at: datetime
    launched_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    recipients: int | None
    created_by: str | None


@dataclass(frozen=True, slots=True)
class GroupView:
    language: str
    channel: str
    recipients: int
    segments_each: int


@dataclass(frozen=True, slots=True)
class PlanView:
    id: str
    outcome: str  # dry_run, launched, scheduled
    launch_at: datetime
    recipients: int
    sms_segments: int
    groups: tuple[GroupView, ...]


@dataclass(frozen=True, slots=True)
class EventView:
    id: str
    title: dict[str, str]
    community: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    status: str  # announced, cancelled


@dataclass(frozen=True, slots=True)
class EventOutcome:
    id: str
    created: bool
    messages: int


@dataclass(frozen=True, slots=True)
class RsvpView:
    code: str
    language: str
    channel: str
    answer: str | None
    attended: bool | None


class ApiPort(Protocol):
    """Implemented by bot/desks/api.py; `actor` is `api:<token name>` in the audit log."""

    def authenticate(self, secret: str) -> StaffIdentity | None: ...

    def consultations(self, communities: list[str] | None) -> list[ConsultationView]: ...

    def consultation(self, consultation_id: str) -> ConsultationView | None: ...

    def read_consultation(self, data: Any) -> Consultation: ...

    def launch(
        self, actor: str, consultation: Consultation, at: datetime | None, dry_run: bool
    ) -> PlanView: ...

    def close(self, actor: str, consultation_id: str) -> ConsultationView: ...

    def results(self, consultation_id: str) -> Results: ...

    def events(self, communities: list[str] | None) -> list[EventView]: ...

    def event(self, event_id: str) -> EventView | None: ...

    def read_event(self, data: Any) -> Event: ...

    def create_event(self, actor: str, event: Event) -> EventOutcome: ...

    def cancel_event(self, actor: str, event_id: str) -> int: ...

    def rsvps(self, actor: str, event_id: str) -> tuple[list[RsvpView], dict[str, int]]: ...
