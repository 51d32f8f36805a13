"""What the dashboard needs for API tokens and staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from admin.auth import StaffIdentity


class Refused(ValueError):
    """A change that is not allowed; `msgid` says why (translated where it is shown)."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: int
    username: str
    role: str
    communities: tuple[str, ...]
    locked: bool


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: int
    name: str
    prefix: str
    role: str
    communities: tuple[str, ...]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True, slots=True)
class Issued:
    """A new token and its secret, shown once and never stored."""

    token: TokenRow
    secret: str


@dataclass(frozen=True, slots=True)
class Created:
    """A new staff account and its first password, to be passed on to its owner."""

    person: StaffRow
    password: str


class TokensPort(Protocol):
    """Implemented by bot/desks/tokens.py; every write is audited as `actor`."""

    def list_staff(self) -> list[StaffRow]: ...

    def staff_member(self, user_id: int) -> StaffRow | None: ...

    def create_staff(
        self, actor: StaffIdentity, username: str, role: str, communities: list[str]
    ) -> Created: ...

    def change_access(
        self, actor: StaffIdentity, user_id: int, role: str, communities: list[str]
    ) -> StaffRow: ...

    def unlock(self, actor: StaffIdentity, user_id: int) -> StaffRow: ...

    def reset_password(self, actor: StaffIdentity, user_id: int) -> Created: ...

    def list_tokens(self) -> list[TokenRow]: ...

    def create_token(
        self, actor: StaffIdentity, name: str, role: str, communities: list[str]
    ) -> Issued: ...

    def revoke_token(self, actor: StaffIdentity, token_id: int) -> TokenRow | None: ...
