"""API token rows: create, list, find by hash, revoke, and note use (at most once a minute)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.base import affected
from storage.staff_models import ApiToken

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not a log: spare the writes


def create(
    session: Session,
    *,
    name: str,
    prefix: str,
    token_hash: str,
    role: str,
    communities: list[str],
    created_by: str,
    now: datetime,
) -> ApiToken:
    row = ApiToken(
        name=name,
        prefix=prefix,
        token_hash=token_hash,
        role=role,
        communities=communities,
        created_by=created_by,
        created_at=now,
        last_used_at=None,
        revoked_at=None,
    )
    session.add(row)
    session.flush()
    return row


def all_tokens(session: Session) -> Sequence[ApiToken]:
    """Every token, live ones first, newest first."""
    return session.scalars(
        select(ApiToken).order_by(
            ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
        )
    ).all()


def by_id(session: Session, token_id: int, lock: bool = False) -> ApiToken | None:
    query = select(ApiToken).where(ApiToken.id == token_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def live_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    """The unrevoked token with this SHA-256, or None."""
    return session.scalars(
        select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    ).one_or_none()


def touch(session: Session, token_id: int, now: datetime) -> bool:
    """Set last_used_at unless it was set within the last minute; True when written."""
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected(result) > 0
