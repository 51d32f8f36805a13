"""What the dashboard needs for consultations (authoring and launch)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from conversations.consultations.model import Consultation


class Refused(Exception):
    """The act cannot be done as asked; the message (English, from the use case) says why."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem the validator found: where (a path like `questions[0].text`) and what."""

    path: str
    message: str
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Stored:
    """A consultation as stored: draft, scheduled, open or closed."""

    consultation: Consultation
    status: str
    community: str | None
    launch_at: datetime | None  # None for a draft
    closes_at: datetime | None
    recipients: int | None

    @property
    def id(self) -> str:
        return self.consultation.id


@dataclass(frozen=True, slots=True)
class PreviewMessage:
    """One message as a parent sees it on Telegram and on SMS."""

    telegram_text: str
    telegram_buttons: tuple[tuple[str, ...], ...]  # rows of button labels
    sms_text: str
    sms_encoding: str  # GSM-7 or UCS-2
    sms_units: int
    sms_segments: int


@dataclass(frozen=True, slots=True)
class PreviewLanguage:
    language: str
    messages: tuple[PreviewMessage, ...]  # the intro, then every question

    @property
    def sms_segments(self) -> int:
        return sum(m.sms_segments for m in self.messages)


@dataclass(frozen=True, slots=True)
class PlanGroup:
    language: str
    channel: str
    recipients: int
    segments_each: int  # 0 on Telegram


@dataclass(frozen=True, slots=True)
class Plan:
    """Who a launch reaches and what its SMS cost."""

    launch_at: datetime
    groups: tuple[PlanGroup, ...]
    recipients: int
    sms_segments: int
    price_pence: float
    cost_pence: float


class ConsultationsPort(Protocol):
    """Implemented by bot/desks/consultations.py."""

    def now(self) -> datetime:
        """The service's clock (tests move it)."""

    def every(self) -> list[Stored]: ...

    def get(self, consultation_id: str) -> Stored | None: ...

    def check(
        self, data: Mapping[str, Any], languages: Sequence[str]
    ) -> tuple[Consultation | None, list[Issue]]: ...

    def check_yaml(self, text: str) -> tuple[Consultation | None, list[Issue]]: ...

    def save_draft(self, consultation: Consultation, actor: str, create: bool) -> str | None:
        """None when saved; else "taken" (a new one's id exists) or "launched"."""

    def preview(self, consultation: Consultation) -> list[PreviewLanguage]: ...

    def plan(self, consultation_id: str, at: datetime | None) -> Plan: ...

    def launch(self, consultation_id: str, at: datetime | None, actor: str) -> Plan: ...

    def close(self, consultation_id: str, actor: str) -> None: ...
