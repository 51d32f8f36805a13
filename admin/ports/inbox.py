"""What the dashboard needs for the inbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from admin.auth import N_

OPTED_OUT = N_("This parent has opted out of messages, so nothing can be sent to them.")
UNREACHABLE = N_(
    "This parent cannot be reached on their channel any more (they blocked the bot or the "
    "number no longer works), so nothing can be sent to them."
)
ERASED = N_("This family's details have been erased, so nothing can be sent to them.")
MAX_REPLY_LENGTH = 1000  # characters; about seven SMS segments, fifteen with Welsh accents


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A message for staff: a safeguarding alert or a reply no flow expected."""

    id: int
    kind: str  # "safeguarding" or "unexpected"
    contact_code: str
    community_id: str
    language: str | None
    channel: str | None
    text: str
    matched: tuple[str, ...]
    created_at: datetime
    handled_at: datetime | None
    handled_by: str | None
    simulated: bool

    @property
    def is_alert(self) -> bool:
        return self.kind == "safeguarding"


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message between the bot (or staff) and the parent."""

    incoming: bool
    channel: str
    text: str
    at: datetime
    status: str | None


@dataclass(frozen=True, slots=True)
class StaffReply:
    author: str
    text: str
    at: datetime
    channel: str | None
    status: str | None  # the outbox row's: queued, sent, failed…


@dataclass(frozen=True, slots=True)
class InboxDetail:
    entry: InboxEntry
    recent: tuple[ThreadMessage, ...]
    replies: tuple[StaffReply, ...]
    cannot_reply: str | None  # a msgid saying why a reply cannot be sent, or None


class InboxPort(Protocol):
    """Implemented by bot/desks/inbox.py."""

    def items(self, communities: Sequence[str], handled: bool) -> list[InboxEntry]:
        """Open (or handled) items in these communities, safeguarding alerts first."""
        ...

    def open_alerts(self, communities: Sequence[str]) -> int:
        """How many safeguarding alerts wait in these communities (shown in the navigation)."""
        ...

    def entry(self, item_id: int) -> InboxEntry | None: ...

    def detail(self, item_id: int, actor: str) -> InboxDetail | None:
        """The item with the conversation around it; the look is audited."""
        ...

    def reply(self, item_id: int, author: str, text: str) -> str | None:
        """Queue a reply to the parent on their channel; a msgid saying why not, or None."""
        ...

    def mark_handled(self, item_id: int, actor: str) -> None: ...
