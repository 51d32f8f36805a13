"""What the dashboard needs for contacts: a search without addresses, and one contact opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from storage.contact_search import ContactFilter, MessageLine


@dataclass(frozen=True, slots=True)
class ContactSummary:
    """A search result: never a phone number or a Telegram id."""

    code: str
    community_id: str
    language: str | None
    channels: tuple[str, ...]
    status: str
    simulated: bool
    joined: date
    bands: tuple[str, ...]  # each child's age band key (admin.ports.content.AGE_BANDS), or ""


@dataclass(frozen=True, slots=True)
class ContactPage:
    total: int
    rows: tuple[ContactSummary, ...]


@dataclass(frozen=True, slots=True)
class ChildDetail:
    nickname: str | None
    band: str  # an age band key, or "" outside the programme
    birth_month: str | None  # "2025-06"
    due_month: str | None


@dataclass(frozen=True, slots=True)
class Address:
    channel: str
    address: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class ContactDetail:
    code: str
    community_id: str
    language: str | None
    status: str
    simulated: bool
    joined: date
    consent_version: str | None
    consent_at: datetime | None
    children: tuple[ChildDetail, ...]
    tip_weekday: int
    tip_time: str
    next_tip_at: datetime | None
    paused_until: datetime | None
    addresses: tuple[Address, ...]
    messages: tuple[MessageLine, ...]


@dataclass(frozen=True, slots=True)
class ContactBrief:
    """Enough to confirm an erasure: no addresses, no children's dates."""

    code: str
    community_id: str
    status: str
    simulated: bool
    children: int


class ContactsPort(Protocol):
    """Implemented by bot/desks/contacts.py."""

    def search(self, where: ContactFilter, page: int, per_page: int) -> ContactPage:
        """One page of contacts matching `where` (always inside its communities)."""
        ...

    def open(self, code: str, communities: list[str], actor: str) -> ContactDetail | None:
        """The contact with the code, audited as `contact.open` in the same transaction;
        None (and no audit) when there is none in these communities."""
        ...

    def brief(self, code: str, communities: list[str]) -> ContactBrief | None:
        """The contact with the code in these communities, unaudited (no personal data)."""
        ...

    def copy(self, code: str, communities: list[str], actor: str) -> dict[str, Any] | None:
        """Everything held about the family (a subject access copy), audited `contact.copy`."""
        ...

    def erase(self, code: str, communities: list[str], actor: str, reason: str) -> bool:
        """Erase the family now, audited `contact.erase` with the reason; False if not found."""
        ...
