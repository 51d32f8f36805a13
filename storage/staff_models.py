"""Staff accounts for the dashboard: who may sign in, with which role, for which communities."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType


class StaffUser(Base):
    """One member of staff; `password_hash` is argon2id, never the password itself.

    `communities` lists the community ids a worker (exactly one) or coordinator (one or more)
    may see; an admin's list is empty. `password_changed_at` also ends older sessions.
    """

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))  # worker, coordinator, admin
    communities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class ApiToken(Base):
    """A bearer token for an integration, with a staff role and communities.

    Only the SHA-256 of the token is kept; `prefix` (its first characters) lets staff tell
    tokens apart. A revoked token stays for the audit trail.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    communities: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
