"""Event tables: the definition and where it stands, and each resident's RSVP and attendance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType


class Event(Base):
    """One event; `version` goes up when its time or venue changes (calendar files follow)."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    community_id: Mapped[str] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # announced, cancelled
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    announced_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EventRsvp(Base):
    """A resident told about an event (answer None) or who answered: yes, maybe, no, waitlist.

    Language and channel are copied when the row is made, so lists and exports need no
    contact details; `attended` is marked by a worker afterwards.
    """

    __tablename__ = "event_rsvps"
    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        Index("ix_event_rsvps_answer", "event_id", "answer"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(String(16))
    invited_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    attended: Mapped[bool | None] = mapped_column(Boolean)
