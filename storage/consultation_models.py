"""Consultation tables: the definition, who was invited, and every answer.

Invites copy the community, language, channel and child age band at launch, so results and
exports group by them without reading children's dates or anyone's address.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType


class Consultation(Base):
    """One consultation: its validated definition (JSON) and where it is in its life."""

    __tablename__ = "consultations"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), index=True)  # scheduled, open, closed
    launch_at: Mapped[datetime]
    launched_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    recipients: Mapped[int | None] = mapped_column(Integer)  # the audience counted at launch
    # Fan-out: invites are written for contacts with ids above this, a chunk at a time, after
    # the launch; NULL once every contact has been looked at (or before the launch).
    fanout_after: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ConsultationInvite(Base):
    """One resident asked to take part.

    status: pending (waiting until the parent is free), asked (intro sent), started (at least
    one answer), finished, or expired (closed before it could be asked).
    """

    __tablename__ = "consultation_invites"
    __table_args__ = (
        UniqueConstraint("consultation_id", "contact_id"),
        Index("ix_consultation_invites_status", "consultation_id", "status"),
        Index("ix_consultation_invites_contact", "contact_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    community_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    age_band: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    position: Mapped[str | None] = mapped_column(String(48))  # the question to ask next
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    invited_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The answers below, pivoted: {question id: value} for every answer with a value (none
    # skipped, none blanked by retention). Written with each answer (record_answer), so an
    # export reads one row per respondent instead of grouping the answers every time.
    answers: Mapped[dict[str, str] | None] = mapped_column(JSONType)


class ConsultationAnswer(Base):
    """One answer, keyed on (consultation, contact, question): a second answer replaces it.

    `value`: an option id; several, comma-separated, for multi; 1-5; yes or no; a number; an
    ISO date; or free text as written. Skipped questions have `skipped` and no value.
    """

    __tablename__ = "consultation_answers"
    __table_args__ = (UniqueConstraint("consultation_id", "contact_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id", ondelete="CASCADE"))
    # NULL once the family is erased: a closed-question answer stays, anonymous, in the counts.
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(48))
    value: Mapped[str | None] = mapped_column(Text)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16))
    answered_at: Mapped[datetime]
