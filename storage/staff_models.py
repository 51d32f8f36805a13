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
