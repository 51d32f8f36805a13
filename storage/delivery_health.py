"""Delivery health for the dashboard: outbox counts, recent failures and retrying one.

Scoped to communities through the message's contact (a message whose contact was erased has
no community: only a view of every community, `communities=None`, sees it). Simulated contacts'
messages are left out. Contacts appear by pseudonymous code only, never by address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, func, or_, select, update
from sqlalchemy.orm import Session

from storage.base import affected
from storage.models import Contact, ContactIdentity, Outbox

RetryOutcome = Literal["queued", "not_found", "not_failed", "opted_out", "unreachable", "erased"]


@dataclass(frozen=True)
class Failure:
    """One failed message, without its text or address."""

    id: int
    channel: str
    kind: str
    contact_code: str | None  # None: the contact was erased
    community_id: str | None
    error_code: str | None
    error_detail: str | None
    attempts: int
    failed_at: datetime | None
    opted_out: bool
    reachable: bool


def _scoped(
    statement: Select[*tuple[Any, ...]], communities: Sequence[str] | None
) -> Select[*tuple[Any, ...]]:
    """Outbox rows of real contacts in these communities (None: every row but simulated)."""
    statement = statement.outerjoin(Contact, Contact.id == Outbox.contact_id)
    real: ColumnElement[bool] = or_(Contact.id.is_(None), Contact.is_simulated.is_(False))
    if communities is None:
        return statement.where(real)
    return statement.where(Contact.community_id.in_(list(communities)), real)


def status_counts(
    session: Session, communities: Sequence[str] | None
) -> list[tuple[str, str, int]]:
    """(channel, our status, messages): queued, sending, sent, failed, cancelled, expired."""
    statement = _scoped(
        select(Outbox.channel, Outbox.status, func.count()).select_from(Outbox), communities
    ).group_by(Outbox.channel, Outbox.status)
    return [(str(c), str(s), int(n)) for c, s, n in session.execute(statement)]


def delivery_counts(
    session: Session, communities: Sequence[str] | None
) -> list[tuple[str, str, int]]:
    """(channel, provider's status, messages) of sent messages: delivered, undelivered…"""
    status = func.coalesce(Outbox.delivery_status, "unknown")
    statement = (
        _scoped(select(Outbox.channel, status, func.count()).select_from(Outbox), communities)
        .where(Outbox.status == "sent")
        .group_by(Outbox.channel, status)
    )
    return [(str(c), str(s), int(n)) for c, s, n in session.execute(statement)]


def _failure_query(communities: Sequence[str] | None) -> Select[*tuple[Any, ...]]:
    reachable = func.coalesce(ContactIdentity.reachable, False)
    statement = (
        select(Outbox, Contact.code, Contact.community_id, Contact.status, reachable)
        .select_from(Outbox)
        .outerjoin(ContactIdentity, ContactIdentity.id == Outbox.identity_id)
    )
    return _scoped(statement, communities).where(Outbox.status == "failed")


def _failures(session: Session, statement: Select[*tuple[Any, ...]]) -> list[Failure]:
    return [
        Failure(
            id=row.id,
            channel=row.channel,
            kind=row.kind,
            contact_code=code,
            community_id=community,
            error_code=row.error_code,
            error_detail=row.error_detail,
            attempts=row.attempts,
            failed_at=row.updated_at,
            opted_out=status == "opted_out",
            reachable=bool(can_reach),
        )
        for row, code, community, status, can_reach in session.execute(statement)
    ]


def recent_failures(
    session: Session, communities: Sequence[str] | None, limit: int = 50
) -> list[Failure]:
    """The newest failed messages first, with whether the family can be reached at all."""
    statement = (
        _failure_query(communities)
        .order_by(Outbox.updated_at.desc(), Outbox.id.desc())
        .limit(limit)
    )
    return _failures(session, statement)


def retry(
    session: Session, outbox_id: int, communities: Sequence[str] | None, now: datetime
) -> tuple[RetryOutcome, Failure | None]:
    """Queue one failed message again, due now with fresh attempts, unless it cannot arrive."""
    statement = _failure_query(communities).where(Outbox.id == outbox_id).with_for_update(of=Outbox)
    found = next(iter(_failures(session, statement)), None)
    if found is None:
        visible = _scoped(select(Outbox.id).select_from(Outbox), communities)
        exists = session.scalar(visible.where(Outbox.id == outbox_id)) is not None
        return ("not_failed" if exists else "not_found"), None
    if found.contact_code is None:
        return "erased", found
    if found.opted_out:
        return "opted_out", found
    if not found.reachable:
        return "unreachable", found
    changed = session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.status == "failed")
        .values(status="queued", attempts=0, lease_until=None, not_before=now, updated_at=now)
    )
    return ("queued" if affected(changed) else "not_failed"), found
