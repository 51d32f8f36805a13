"""Writing and reading the audit log (storage/audit_models.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.audit_models import AuditEntry


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None = None,
    community_id: str | None = None,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Adds one entry to the caller's transaction: the act and its record commit together."""
    entry = AuditEntry(
        at=at,
        actor=actor,
        action=action,
        subject=subject,
        community_id=community_id,
        reason=reason,
        detail=detail,
    )
    session.add(entry)
    return entry


def recent(
    session: Session, limit: int = 100, action: str | None = None, subject: str | None = None
) -> Sequence[AuditEntry]:
    """The newest entries first, optionally of one action or about one subject."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if subject is not None:
        query = query.where(AuditEntry.subject == subject)
    return session.scalars(query).all()


def search(
    session: Session,
    *,
    action: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, Sequence[AuditEntry]]:
    """One page of entries, newest first, and how many match in all."""
    conditions = []
    if action:
        conditions.append(AuditEntry.action == action)
    if actor:
        conditions.append(AuditEntry.actor == actor)
    if since is not None:
        conditions.append(AuditEntry.at >= since)
    if until is not None:
        conditions.append(AuditEntry.at < until)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    rows = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return int(total or 0), rows


def actions(session: Session) -> list[str]:
    """Every action the log holds, for the filter."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
