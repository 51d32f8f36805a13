"""The nightly retention run: once a local day, from RETENTION_HOUR (02:00) in TIMEZONE."""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import audit, retention
from storage.audit_models import AuditEntry
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container
    from bot.settings import Settings

log = logging.getLogger(__name__)
ACTION = "retention.run"


def periods(settings: Settings) -> retention.Periods:
    return retention.Periods(
        message_bodies=settings.retention_message_bodies_days,
        free_text=settings.retention_free_text_days,
        inactive_contacts=settings.retention_inactive_contact_days,
    )


def tonight(now: datetime, settings: Settings) -> datetime | None:
    """Today's run time (local), or None before it: the run belongs to the local day."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    start = datetime.combine(local.date(), time(settings.retention_hour), zone)
    return start if local >= start else None


def run_retention_pass(container: Container, now: datetime) -> int:
    """The clock job: enforce retention once per night; returns how many rows it changed."""
    start = tonight(now, container.settings)
    if start is None:
        return 0
    with transaction(container.sessions) as session:
        ran = session.scalar(
            select(func.count()).where(AuditEntry.action == ACTION, AuditEntry.at >= start)
        )
        if ran:
            return 0
        counts = _enforce(container, session, now, actor="clock")
    return sum(counts.values())


def run_now(container: Container, now: datetime, dry_run: bool) -> dict[str, int]:
    """`python -m bot retention [--dry-run]`: the counts that are (or would be) removed."""
    with transaction(container.sessions) as session:
        if dry_run:
            return retention.due(session, now, periods(container.settings))
        return _enforce(container, session, now, actor="cli")


def _enforce(container: Container, session: Session, now: datetime, actor: str) -> dict[str, int]:
    counts = retention.enforce(session, now, periods(container.settings))
    # The audit entry marks tonight's run as done, in the same transaction as the removal.
    audit.record(session, at=now, actor=actor, action=ACTION, detail=dict(counts))
    log.info("retention: %s", ", ".join(f"{kind} {n}" for kind, n in counts.items()))
    return counts
