"""The audit log: who looked at or took personal data, when, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType


class AuditEntry(Base):
    """One audited act: a contact opened, an export taken, a token made, a setting changed.

    `actor` is a staff username, `api:<token name>` or `cli`; `subject` names what was touched
    (`contact:P7K3M9`, `consultation:play-park`), never a phone number or a message.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(48), index=True)
    subject: Mapped[str | None] = mapped_column(String(120))
    community_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
