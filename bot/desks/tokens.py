"""The service behind the dashboard's API tokens and staff accounts (audited writes)."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from admin.auth import N_, ROLES, StaffIdentity, hash_password
from admin.ports.tokens import Created, Issued, Refused, StaffRow, TokenRow
from bot.settings import ConfigError
from bot.staff import check_account
from storage import api_tokens, audit, staff
from storage.db import transaction
from storage.staff_models import ApiToken, StaffUser

if TYPE_CHECKING:
    from datetime import datetime

    from bot.container import Container

TOKEN_PREFIX = "elc_"  # noqa: S105 - a label that makes leaked tokens easy to spot, not a secret
SHOWN_PREFIX = 12  # characters of a token kept in clear, to tell tokens apart
# check_account's one-line refusals (the rules of `user create`), as messages for the page.
REFUSALS = (
    ("role must be", N_("Choose one of the roles.")),
    ("unknown community", N_("Choose communities from the list.")),
    ("a worker needs", N_("A community worker needs exactly one community.")),
    ("a coordinator needs", N_("A coordinator needs at least one community.")),
)


def token_hash(secret: str) -> str:
    """What is stored of a token: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_password() -> str:
    """A first or reset password (16 characters), to be changed by its owner."""
    return secrets.token_urlsafe(12)


def refusal(error: ConfigError) -> Refused:
    text = str(error)
    for start, msgid in REFUSALS:
        if text.startswith(start):
            return Refused(msgid)
    return Refused(text)


def staff_row(user: StaffUser, now: datetime) -> StaffRow:
    locked = user.locked_until is not None and user.locked_until > now
    return StaffRow(user.id, user.username, user.role, tuple(user.communities or ()), locked)


def token_row(row: ApiToken) -> TokenRow:
    return TokenRow(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        communities=tuple(row.communities or ()),
        created_by=row.created_by,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


class TokensDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def _access(self, role: str, communities: list[str]) -> list[str]:
        """The communities to store for `role`, or Refused; the CLI's rules."""
        wanted = list(dict.fromkeys(communities))
        if role == "admin":
            wanted = []  # an admin sees every community
        try:
            check_account(role, wanted, self._container.engine.config.communities)
        except ConfigError as error:
            raise refusal(error) from None
        return wanted

    def _user(self, session: Session, user_id: int) -> StaffUser:
        user = staff.by_id(session, user_id, lock=True)
        if user is None:
            raise KeyError(user_id)
        return user

    # --- staff -------------------------------------------------------------------------------

    def list_staff(self) -> list[StaffRow]:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            return [staff_row(user, now) for user in staff.all_users(session)]

    def staff_member(self, user_id: int) -> StaffRow | None:
        with transaction(self._container.sessions) as session:
            user = staff.by_id(session, user_id)
            return staff_row(user, self._container.clock()) if user else None

    def create_staff(
        self, actor: StaffIdentity, username: str, role: str, communities: list[str]
    ) -> Created:
        wanted = self._access(role, communities)
        username = username.strip()
        if not username or len(username) > 64 or not username.isprintable() or " " in username:
            raise Refused(
                N_("A username is 1 to 64 characters with no spaces.")
            )  # as `user create`
        password = new_password()
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            user = staff.create(session, username, hash_password(password), role, wanted, now)
            if user is None:
                raise Refused(N_("That username is already taken."))
            audit.record(
                session,
                at=now,
                actor=actor.username,
                action="staff.create",
                subject=f"staff:{username}",
                detail={"role": role, "communities": wanted},
            )
            return Created(staff_row(user, now), password)

    def change_access(
        self, actor: StaffIdentity, user_id: int, role: str, communities: list[str]
    ) -> StaffRow:
        if role not in ROLES:
            raise Refused(N_("Choose one of the roles."))
        if user_id == actor.id and role != "admin":
            raise Refused(N_("You cannot remove your own administrator role."))
        wanted = self._access(role, communities)
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            user = self._user(session, user_id)
            before = {"role": user.role, "communities": list(user.communities or ())}
            user.role, user.communities = role, wanted
            audit.record(
                session,
                at=now,
                actor=actor.username,
                action="staff.access",
                subject=f"staff:{user.username}",
                detail={"before": before, "after": {"role": role, "communities": wanted}},
            )
            return staff_row(user, now)

    def unlock(self, actor: StaffIdentity, user_id: int) -> StaffRow:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            user = self._user(session, user_id)
            user.locked_until, user.failed_logins = None, 0
            audit.record(
                session,
                at=now,
                actor=actor.username,
                action="staff.unlock",
                subject=f"staff:{user.username}",
            )
            return staff_row(user, now)

    def reset_password(self, actor: StaffIdentity, user_id: int) -> Created:
        """A new random password; the old one and every session with it stop working."""
        if user_id == actor.id:
            raise Refused(N_("Use Change password for your own account."))
        password = new_password()
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            user = self._user(session, user_id)
            user.password_hash, user.password_changed_at = hash_password(password), now
            user.locked_until, user.failed_logins = None, 0
            audit.record(
                session,
                at=now,
                actor=actor.username,
                action="staff.reset_password",
                subject=f"staff:{user.username}",
            )
            return Created(staff_row(user, now), password)

    # --- API tokens --------------------------------------------------------------------------

    def list_tokens(self) -> list[TokenRow]:
        with transaction(self._container.sessions) as session:
            return [token_row(row) for row in api_tokens.all_tokens(session)]

    def create_token(
        self, actor: StaffIdentity, name: str, role: str, communities: list[str]
    ) -> Issued:
        name = name.strip()
        if not name or len(name) > 64 or not name.isprintable():
            raise Refused(N_("A token name is 1 to 64 characters."))
        wanted = self._access(role, communities)
        secret = new_secret()
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = api_tokens.create(
                session,
                name=name,
                prefix=secret[:SHOWN_PREFIX],
                token_hash=token_hash(secret),
                role=role,
                communities=wanted,
                created_by=actor.username,
                now=now,
            )
            audit.record(
                session,
                at=now,
                actor=actor.username,
                action="token.create",
                subject=f"token:{row.id}",
                detail={"name": name, "role": role, "communities": wanted},
            )
            return Issued(token_row(row), secret)

    def revoke_token(self, actor: StaffIdentity, token_id: int) -> TokenRow | None:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = api_tokens.by_id(session, token_id, lock=True)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = now
                audit.record(
                    session,
                    at=now,
                    actor=actor.username,
                    action="token.revoke",
                    subject=f"token:{row.id}",
                    detail={"name": row.name},
                )
            return token_row(row)
