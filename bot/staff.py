"""The staff service: accounts, sign-in with lockout, password changes (dashboard and CLI)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from admin.auth import (
    LOCKOUT,
    MAX_FAILURES,
    ROLES,
    LoginResult,
    StaffIdentity,
    hash_password,
    needs_rehash,
    password_problem,
    session_stamp,
    verify_password,
)
from bot.settings import ConfigError
from storage import staff
from storage.db import transaction
from storage.staff_models import StaffUser


def identity_of(user: StaffUser) -> StaffIdentity:
    return StaffIdentity(
        id=user.id,
        username=user.username,
        role=user.role,
        communities=tuple(user.communities or ()),
        stamp=session_stamp(user.password_hash),
    )


def check_account(role: str, communities: list[str], known: Mapping[str, object]) -> None:
    """Refuse (ConfigError, one line) a role or community list that does not fit."""
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    unknown = [c for c in communities if c not in known]
    if unknown:
        raise ConfigError(f"unknown community {unknown[0]!r}; known: {', '.join(sorted(known))}")
    if role == "worker" and len(communities) != 1:
        raise ConfigError("a worker needs exactly one --community")
    if role == "coordinator" and not communities:
        raise ConfigError("a coordinator needs at least one --community")
    if len(set(communities)) != len(communities):
        raise ConfigError("a community is given twice")


class StaffService:
    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(
        self, username: str, password: str, role: str, communities: list[str]
    ) -> StaffIdentity:
        problem = password_problem(password)
        if problem:
            raise ConfigError(problem)
        if not username or len(username) > 64 or not username.isprintable() or " " in username:
            raise ConfigError("a username is 1 to 64 characters with no spaces")
        with transaction(self._sessions) as session:
            user = staff.create(
                session, username, hash_password(password), role, communities, self._clock()
            )
            if user is None:
                raise ConfigError(f"user {username!r} already exists")
            return identity_of(user)

    def authenticate(self, username: str, password: str) -> LoginResult:
        """Sign-in: after MAX_FAILURES wrong passwords in a row the account is locked for
        LOCKOUT; unknown, wrong and locked all look the same to the caller."""
        now = self._clock()
        with transaction(self._sessions) as session:
            user = staff.by_username(session, username, lock=True)
            correct = verify_password(user.password_hash if user else None, password)
            if user is None:
                return LoginResult(None)
            if user.locked_until is not None and user.locked_until > now:
                return LoginResult(None)
            if not correct:
                user.failed_logins += 1
                if user.failed_logins >= MAX_FAILURES:
                    user.locked_until, user.failed_logins = now + LOCKOUT, 0
                return LoginResult(None)
            user.failed_logins, user.locked_until = 0, None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            return LoginResult(identity_of(user))

    def identity(self, user_id: int) -> StaffIdentity | None:
        with transaction(self._sessions) as session:
            user = staff.by_id(session, user_id)
            return identity_of(user) if user else None

    def change_password(self, user_id: int, old: str, new: str) -> StaffIdentity | None:
        """The new identity (with a new session stamp), or None when `old` is wrong."""
        with transaction(self._sessions) as session:
            user = staff.by_id(session, user_id, lock=True)
            if user is None or not verify_password(user.password_hash, old):
                return None
            user.password_hash = hash_password(new)
            user.password_changed_at = self._clock()
            return identity_of(user)

    def list_staff(self) -> list[StaffIdentity]:
        with transaction(self._sessions) as session:
            return [identity_of(user) for user in staff.all_users(session)]
