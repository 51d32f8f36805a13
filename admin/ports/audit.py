"""What the admin's audit log page needs: entries filtered by action, actor and date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    since: date | None = None  # from the start of this day (the deployment's timezone)
    until: date | None = None  # to the end of this day


@dataclass(frozen=True, slots=True)
class AuditLine:
    at: datetime
    actor: str
    action: str
    subject: str | None
    community_id: str | None
    reason: str | None
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class AuditPage:
    total: int
    rows: tuple[AuditLine, ...]
    actions: tuple[str, ...]  # every action in the log, for the filter


class AuditPort(Protocol):
    """Implemented by bot/desks/audit.py."""

    def page(self, where: AuditFilter, page: int, per_page: int) -> AuditPage:
        """One page of the log, newest first."""
        ...
