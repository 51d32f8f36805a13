"""A reply's outbox rows, queued in order and written with one INSERT."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from conversations.types import ButtonPress, MessageKind, OutgoingMessage
from storage import held_writes
from storage.models import Outbox
from storage.outbox import Recipient, button_ack_payload

_TABLE: Table = Outbox.__table__  # type: ignore[assignment]
_INSERT = insert(_TABLE)


class Batch:
    """Outbox rows for one contact's step, kept in the order they were queued.

    `write` inserts them in one statement on the session's connection: no ORM objects, and no
    autoflush of the contact's pending changes (they go in one UPDATE at commit). Outbox rows
    queued through the session (`outbox.enqueue`) before it are flushed first, so outbox ids
    keep the order in which messages were queued whichever way they were.
    """

    def __init__(self, session: Session, contact_id: int, identity: Recipient) -> None:
        self.session = session
        self.contact_id = contact_id
        self.identity = identity
        self.rows: list[dict[str, Any]] = []

    def reply(self, message: OutgoingMessage, now: datetime) -> None:
        priority = 0 if message.kind is MessageKind.REPLY else 1
        self._add(message.kind.value, priority, message.to_json(), now)

    def button_ack(self, press: ButtonPress, now: datetime) -> None:
        """Stop the pressed button's spinner and show the choice in place of the keyboard."""
        self._add(MessageKind.REPLY.value, 0, button_ack_payload(press), now)

    def _add(self, kind: str, priority: int, payload: dict[str, Any], now: datetime) -> None:
        self.rows.append(
            {
                "contact_id": self.contact_id,
                "identity_id": self.identity.id,
                "channel": self.identity.channel,
                "kind": kind,
                "priority": priority,
                "message": payload,
                "status": "queued",
                "not_before": now,
                "attempts": 0,
                "created_at": now,
            }
        )

    def write(self) -> None:
        """Insert what is queued (after any outbox row still pending in the session)."""
        if not self.rows:
            return
        if any(isinstance(row, Outbox) for row in self.session.new):
            self.session.flush()
        if (batch := held_writes.held(self.session)) is not None:
            batch.outbox.extend(self.rows)  # written at the batch's end, or before a read
        else:
            self.session.connection().execute(_INSERT, self.rows)
        self.rows = []
