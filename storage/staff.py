"""Staff account rows: look-ups for sign-in, and the few writes the staff service makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.staff_models import StaffUser


def by_username(session: Session, username: str, lock: bool = False) -> StaffUser | None:
    """The account with that username; `lock` holds the row (FOR UPDATE on PostgreSQL)."""
    query = select(StaffUser).where(StaffUser.username == username)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def by_id(session: Session, user_id: int, lock: bool = False) -> StaffUser | None:
    query = select(StaffUser).where(StaffUser.id == user_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def all_users(session: Session) -> Sequence[StaffUser]:
    return session.scalars(select(StaffUser).order_by(StaffUser.username)).all()


def create(
    session: Session,
    username: str,
    password_hash: str,
    role: str,
    communities: list[str],
    now: datetime,
) -> StaffUser | None:
    """A new account, or None when the username is taken."""
    if by_username(session, username) is not None:
        return None
    user = StaffUser(
        username=username,
        password_hash=password_hash,
        role=role,
        communities=communities,
        failed_logins=0,
        locked_until=None,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    session.flush()
    return user
