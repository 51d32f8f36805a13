"""The service behind the admin's audit log page."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from admin.ports.audit import AuditFilter, AuditLine, AuditPage
from storage import audit
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


class AuditDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def _start_of(self, day: date) -> datetime:
        return datetime.combine(day, time(), ZoneInfo(self._container.settings.timezone))

    def page(self, where: AuditFilter, page: int, per_page: int) -> AuditPage:
        since = self._start_of(where.since) if where.since else None
        until = self._start_of(where.until + timedelta(days=1)) if where.until else None
        with transaction(self._container.sessions) as session:
            total, rows = audit.search(
                session,
                action=where.action,
                actor=where.actor,
                since=since,
                until=until,
                limit=per_page,
                offset=max(page - 1, 0) * per_page,
            )
            lines = tuple(
                AuditLine(r.at, r.actor, r.action, r.subject, r.community_id, r.reason, r.detail)
                for r in rows
            )
            return AuditPage(total, lines, tuple(audit.actions(session)))
