"""The database schema. Identities (phone numbers, Telegram ids) live apart from contacts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, JSONType, UTCDateTime


class Community(Base):
    __tablename__ = "communities"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    nation: Mapped[str] = mapped_column(String(40))
    languages: Mapped[list[str]] = mapped_column(JSONType)
    timezone: Mapped[str] = mapped_column(String(64))


class Contact(Base):
    """A family, known by a pseudonymous code; no phone number or Telegram id here."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    language: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    consent_version: Mapped[str | None] = mapped_column(String(32))
    is_simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    opted_out_at: Mapped[datetime | None]
    last_inbound_at: Mapped[datetime | None]
    tip_weekday: Mapped[int] = mapped_column(
        Integer, default=1, server_default="1"
    )  # Monday 0; Tuesday by default
    tip_time: Mapped[str] = mapped_column(String(5), default="10:00", server_default="10:00")
    next_tip_at: Mapped[datetime | None] = mapped_column(index=True)  # when the clock next looks
    paused_until: Mapped[datetime | None]
    # Set by DELETE: everything else is gone; the row and its identity wait for the goodbye.
    erased_at: Mapped[datetime | None]


class ContactIdentity(Base):
    """How to reach a contact on one channel: a phone number or a Telegram chat id."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64))
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(32))
    last_sent_at: Mapped[datetime | None]  # paces one chat: Telegram allows about 1 a second
    created_at: Mapped[datetime]


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    nickname: Mapped[str | None] = mapped_column(String(64))
    birth_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    birth_checks: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0"
    )  # "has your baby arrived?" asked
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Consent(Base):
    """Each agreement or refusal, with the notice version: consent must be demonstrable."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    notice_version: Mapped[str] = mapped_column(String(32))
    agreed: Mapped[bool] = mapped_column(Boolean)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    recorded_at: Mapped[datetime]


class ConversationState(Base):
    __tablename__ = "conversation_states"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime]


class InboundMessage(Base):
    """Every message received, unique per provider id so a retried webhook is a no-op."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "provider_id"),
        Index("ix_inbound_pending", "contact_id", "processed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    choice_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str | None] = mapped_column(String(64))
    press: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))


OUTBOX_WAITING = ("queued", "sending")  # an outbox row not yet sent: what a claim can take
_WAITING_SQL = "status IN (" + ", ".join(f"'{status}'" for status in OUTBOX_WAITING) + ")"


class Outbox(Base):
    """Every message to send, written in the same transaction as the change that caused it.

    `status` is ours (queued, sending, sent, failed, cancelled); `delivery_status` is the
    provider's (queued, sent, delivered, undelivered, read…) and only ever moves forward.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("channel", "provider_message_id"),
        Index("ix_outbox_due", "status", "not_before"),
        Index("ix_outbox_identity", "identity_id", "status"),
        # The claim's order over the rows still to send, so a worker reads its batch off the
        # front instead of sorting every queued row of a broadcast (migration 0010).
        Index(
            "ix_outbox_claim",
            "channel",
            "priority",
            "not_before",
            "id",
            postgresql_where=text(_WAITING_SQL),
            sqlite_where=text(_WAITING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("contact_identities.id", ondelete="SET NULL")
    )
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=1)
    message: Mapped[dict[str, Any]] = mapped_column(JSONType)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    delivery_status: Mapped[str | None] = mapped_column(String(24))
    segments: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # not sent after this (a reminder past its close)


class InboxItem(Base):
    """A reply no flow expected, for staff to read."""

    __tablename__ = "inbox_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    text: Mapped[str | None] = mapped_column(Text)
    # unexpected: a reply no flow expected; safeguarding: words on the configured lists.
    kind: Mapped[str] = mapped_column(String(16), default="unexpected", server_default="unexpected")
    matched: Mapped[list[str] | None] = mapped_column(JSONType)  # the listed words it matched
    created_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(64))


class InboxReply(Base):
    """What a member of staff wrote back; it goes to the parent through the outbox."""

    __tablename__ = "inbox_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbox_items.id", ondelete="SET NULL"), index=True
    )
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class RateBucket(Base):
    """A token bucket per channel, shared by every worker process through the database."""

    __tablename__ = "rate_buckets"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    refreshed_at: Mapped[datetime]


class Tip(Base):
    """The tip library, as last imported; a tip missing from a new import is retired, not lost."""

    __tablename__ = "tips"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    track: Mapped[str] = mapped_column(String(16))
    week: Mapped[int] = mapped_column(Integer)
    topic: Mapped[str] = mapped_column(String(32))
    routine: Mapped[str] = mapped_column(String(64))
    texts: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reviewed: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class TipDelivery(Base):
    """Which tip each child was sent: unique, so a repeated pass or an edited date never resends."""

    __tablename__ = "tip_deliveries"
    __table_args__ = (
        UniqueConstraint("child_id", "tip_id"),
        # Also serves every lookup by contact_id alone (and the cascade on erasure): a separate
        # contact_id index would cost each of the clock's many inserts one more entry.
        Index("ix_tip_deliveries_week", "contact_id", "local_week"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"))
    tip_id: Mapped[str] = mapped_column(String(32))
    message_key: Mapped[str] = mapped_column(String(64))  # one outbox message may carry siblings'
    local_week: Mapped[str] = mapped_column(String(8))  # ISO week in local time: the weekly cap
    sent_at: Mapped[datetime]


class TipReaction(Base):
    """A parent's reaction to a tip: useful, tried it, or not for me."""

    __tablename__ = "tip_reactions"
    __table_args__ = (UniqueConstraint("contact_id", "tip_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    tip_id: Mapped[str] = mapped_column(String(32))
    reaction: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    reacted_at: Mapped[datetime]


# Registered on the same metadata, so migrations and tests see every table.
from storage.audit_models import AuditEntry  # noqa: E402
from storage.consultation_models import (  # noqa: E402
    Consultation,
    ConsultationAnswer,
    ConsultationInvite,
)
from storage.event_models import Event, EventRsvp  # noqa: E402
from storage.staff_models import ApiToken, StaffUser  # noqa: E402

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "Consultation",
    "ConsultationAnswer",
    "ConsultationInvite",
    "Event",
    "EventRsvp",
    "StaffUser",
    "UTCDateTime",
]
