"""Queries for the dashboard simulator: fake addresses, its contacts' messages, forgetting them.

A simulated contact's outbox rows are never claimed by the dispatcher (`delivery.claim_due`
leaves out `is_simulated` contacts); the simulator "delivers" them itself by stamping
`provider_message_id` with `simulator:<inbound id>:<row id>`, which also records after which
of the parent's messages the row was shown, so the transcript keeps its order even when the
clock stands still.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.audit_models import AuditEntry
from storage.models import Contact, ContactIdentity, InboundMessage, Outbox

START_ACTION = "simulator.start"
END_ACTION = "simulator.end"
STAMP = "simulator:"
# Ofcom's drama range: no real phone has these numbers, and the simulator keeps them to itself.
SMS_PREFIX = "+447700900"
SMS_NUMBERS = 1000
# Telegram ids fit in 52 bits; these negative 19-digit ids can never be a real chat.
TELEGRAM_BASE = -9_000_000_000_000_000_000
TELEGRAM_SPREAD = 10**17


def free_sms_number(session: Session) -> str | None:
    """A number of the reserved range that no contact uses, or None when all are taken."""
    taken = set(
        session.scalars(
            select(ContactIdentity.address).where(
                ContactIdentity.channel == "sms", ContactIdentity.address.startswith(SMS_PREFIX)
            )
        )
    )
    free = [
        number
        for number in (f"{SMS_PREFIX}{n:03d}" for n in range(SMS_NUMBERS))
        if number not in taken
    ]
    return secrets.choice(free) if free else None


def telegram_chat_id() -> str:
    """A fresh fake Telegram chat id from the simulator's reserved range."""
    return str(TELEGRAM_BASE - secrets.randbelow(TELEGRAM_SPREAD))


def contact_by_code(session: Session, code: str) -> Contact | None:
    """A simulated contact by its code (never a real one)."""
    return session.scalars(
        select(Contact).where(Contact.code == code, Contact.is_simulated.is_(True))
    ).one_or_none()


def start_entry(session: Session, entry_id: int, actor: str) -> AuditEntry | None:
    """The audit entry that started this simulator conversation, if `actor` started it."""
    return session.scalars(
        select(AuditEntry).where(
            AuditEntry.id == entry_id,
            AuditEntry.action == START_ACTION,
            AuditEntry.actor == actor,
        )
    ).one_or_none()


def latest_start(session: Session, actor: str) -> AuditEntry | None:
    """The last conversation this person started (it may have ended since)."""
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == START_ACTION, AuditEntry.actor == actor)
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).one_or_none()


def identity_of(session: Session, contact_id: int) -> ContactIdentity | None:
    return session.scalars(
        select(ContactIdentity).where(ContactIdentity.contact_id == contact_id).limit(1)
    ).first()


def last_inbound_id(session: Session, contact_id: int) -> int:
    found = session.scalar(
        select(func.max(InboundMessage.id)).where(InboundMessage.contact_id == contact_id)
    )
    return int(found or 0)


def due_for_contact(session: Session, contact_id: int, now: datetime) -> list[Outbox]:
    """Queued messages for this contact that are due now, oldest first."""
    return list(
        session.scalars(
            select(Outbox)
            .where(
                Outbox.contact_id == contact_id,
                Outbox.status == "queued",
                Outbox.not_before <= now,
            )
            .order_by(Outbox.id)
        )
    )


def shown(session: Session, contact_id: int) -> list[Outbox]:
    """The messages the simulator has delivered to this contact."""
    return list(
        session.scalars(
            select(Outbox)
            .where(Outbox.contact_id == contact_id, Outbox.provider_message_id.startswith(STAMP))
            .order_by(Outbox.id)
        )
    )


def anchor_of(row: Outbox) -> int:
    """The id of the parent's message this row was shown after (0: before any)."""
    parts = (row.provider_message_id or "").split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else 0


def inbound_of(session: Session, contact_id: int) -> list[InboundMessage]:
    return list(
        session.scalars(
            select(InboundMessage)
            .where(InboundMessage.contact_id == contact_id)
            .order_by(InboundMessage.id)
        )
    )


def forget(session: Session, contact_id: int) -> None:
    """Delete a simulated contact with its messages (the rest cascades)."""
    if not session.scalar(
        select(Contact.is_simulated).where(Contact.id == contact_id)
    ):  # a guard: this never deletes a real family
        return
    session.execute(delete(Outbox).where(Outbox.contact_id == contact_id))
    session.execute(delete(InboundMessage).where(InboundMessage.contact_id == contact_id))
    session.execute(delete(Contact).where(Contact.id == contact_id))
