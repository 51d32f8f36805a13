"""The outbox: messages waiting to be sent, and claiming them for a sender."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from conversations.types import ButtonPress, MessageKind, OutgoingMessage
from storage import bulk
from storage.models import ContactIdentity, Outbox

# What a row's `message` holds: an OutgoingMessage (no "type"), or one of these special payloads.
TEXT = "text"
BUTTON_ACK = "button_ack"
DOCUMENT = "document"
MAX_DOCUMENT_BYTES = 64 * 1024  # rows stay small: an .ics file is a few KiB
MAX_CAPTION_LENGTH = 1024  # Telegram's limit for a document's caption
MAX_FILENAME_LENGTH = 64


class Recipient(Protocol):
    """What a queued row needs of an identity: a ContactIdentity, or a lighter row of one."""

    @property
    def id(self) -> int: ...

    @property
    def channel(self) -> str: ...


def enqueue(
    session: Session,
    contact_id: int | None,
    identity: Recipient,
    message: OutgoingMessage,
    now: datetime,
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
) -> Outbox:
    row = Outbox(
        contact_id=contact_id,
        identity_id=identity.id,
        channel=identity.channel,
        kind=message.kind.value,
        priority=0 if message.kind is MessageKind.REPLY else 1,
        message=message.to_json(),
        dedupe_key=dedupe_key,
        status="queued",
        not_before=not_before or now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    return row


def enqueue_many(
    session: Session,
    messages: Sequence[tuple[int, Recipient, OutgoingMessage, str | None]],
    now: datetime,
) -> None:
    """Many messages in one bulk INSERT: (contact id, identity, message, dedupe key)."""
    if not messages:
        return
    if bulk.is_postgresql(session):
        # A message shared by many rows is encoded and sent once; its kind read once too.
        seen: dict[int, tuple[int, str, int]] = {}
        encoded: list[Any] = []
        rows = []
        for contact_id, identity, message, key in messages:
            known = seen.get(id(message))
            if known is None:
                encoded.append(message.to_json())
                priority = 0 if message.kind is MessageKind.REPLY else 1
                known = seen[id(message)] = (len(encoded), message.kind.value, priority)
            number, kind, priority = known
            rows.append(
                {
                    "contact_id": contact_id,
                    "identity_id": identity.id,
                    "channel": identity.channel,
                    "kind": kind,
                    "priority": priority,
                    "message": number,
                    "dedupe_key": key,
                }
            )
        bulk.insert_outbox(session, rows, encoded, now)
        return
    rows = [
        _row(contact_id, identity, message, key) for contact_id, identity, message, key in messages
    ]
    for row in rows:
        row.update(status="queued", not_before=now, attempts=0, created_at=now)
    session.execute(insert(Outbox), rows)


def _row(
    contact_id: int,
    identity: Recipient,
    message: OutgoingMessage,
    key: str | None,
) -> dict[str, Any]:
    return {
        "contact_id": contact_id,
        "identity_id": identity.id,
        "channel": identity.channel,
        "kind": message.kind.value,
        "priority": 0 if message.kind is MessageKind.REPLY else 1,
        "message": message.to_json(),
        "dedupe_key": key,
    }


def enqueue_button_ack(
    session: Session,
    contact_id: int,
    identity: ContactIdentity,
    press: ButtonPress,
    now: datetime,
) -> Outbox:
    """Stop the pressed button's spinner and show the choice in place of the keyboard."""
    return _reply_row(session, contact_id, identity, button_ack_payload(press), now)


def button_ack_payload(press: ButtonPress) -> dict[str, Any]:
    """What the sender needs to answer a button press and show the choice."""
    return {
        "type": BUTTON_ACK,
        "query_id": press.query_id,
        "message_id": press.message_id,
        "text": press.message_text,
        "label": press.label,
    }


def _reply_row(
    session: Session,
    contact_id: int | None,
    identity: ContactIdentity,
    payload: dict[str, Any],
    now: datetime,
    dedupe_key: str | None = None,
) -> Outbox:
    """A special reply (a button acknowledgement, a file): sent now, ahead of proactive ones."""
    row = Outbox(
        contact_id=contact_id,
        identity_id=identity.id,
        channel=identity.channel,
        kind=MessageKind.REPLY.value,
        priority=0,
        message=payload,
        dedupe_key=dedupe_key,
        status="queued",
        not_before=now,
        attempts=0,
        created_at=now,
    )
    session.add(row)
    return row


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send as it is (Telegram only: SMS cannot carry files)."""

    filename: str
    content: bytes
    caption: str = ""
    locales: tuple[str, ...] = ()


def enqueue_document(
    session: Session,
    contact_id: int | None,
    identity: ContactIdentity,
    filename: str,
    content: bytes,
    caption: str,
    now: datetime,
    dedupe_key: str | None = None,
    locales: Sequence[str] = (),
) -> Outbox:
    """Queue a file (an event's .ics) as a reply; ValueError if it is empty or over 64 KiB.

    The row is queued whatever the channel; the SMS sender fails it permanently.
    """
    document = Document(filename, content, caption, tuple(locales))
    _check_document(document)
    return _reply_row(
        session, contact_id, identity, document_payload(document), now, dedupe_key=dedupe_key
    )


def _check_document(document: Document) -> None:
    name = document.filename
    if not name or len(name) > MAX_FILENAME_LENGTH or any(c in name for c in "/\\\0\r\n"):
        raise ValueError(f"unusable file name {name!r}")
    if not document.content:
        raise ValueError("a document cannot be empty")
    if len(document.content) > MAX_DOCUMENT_BYTES:
        size = len(document.content)
        raise ValueError(f"document {name!r} is {size} bytes, over {MAX_DOCUMENT_BYTES}")
    if len(document.caption) > MAX_CAPTION_LENGTH:
        raise ValueError(f"caption over {MAX_CAPTION_LENGTH} characters")


def document_payload(document: Document) -> dict[str, Any]:
    """The `message` JSON of a document row."""
    payload: dict[str, Any] = {
        "type": DOCUMENT,
        "filename": document.filename,
        "content_b64": base64.b64encode(document.content).decode("ascii"),
        "caption": document.caption,
    }
    if document.locales:
        payload["locales"] = list(document.locales)
    return payload


def document_of(payload: Mapping[str, Any]) -> Document:
    """The Document in a row's `message`; ValueError if it is not a well-formed document."""
    if payload.get("type") != DOCUMENT:
        raise ValueError(f"not a document payload: type {payload.get('type')!r}")
    try:
        content = base64.b64decode(str(payload["content_b64"]), validate=True)
        return Document(
            filename=str(payload["filename"]),
            content=content,
            caption=str(payload.get("caption") or ""),
            locales=tuple(str(lang) for lang in payload.get("locales", ())),
        )
    except (KeyError, binascii.Error) as error:
        raise ValueError(f"malformed document payload: {error}") from None


def payload_type(payload: Mapping[str, Any]) -> str:
    """The payload's type: "text" for an OutgoingMessage, else "button_ack" or "document"."""
    return str(payload.get("type") or TEXT)


def queued_for_contact(session: Session, contact_id: int) -> list[Outbox]:
    """Messages for one contact not yet sent, oldest first (the terminal chat reads these)."""
    return list(
        session.scalars(
            select(Outbox)
            .where(Outbox.contact_id == contact_id, Outbox.status == "queued")
            .order_by(Outbox.id)
        )
    )


def message_of(row: Outbox) -> OutgoingMessage:
    """The OutgoingMessage a text row holds; ValueError for a special payload (a document…)."""
    kind = payload_type(row.message)
    if kind != TEXT:
        raise ValueError(f"outbox row {row.id} holds a {kind}, not a text message")
    return OutgoingMessage.from_json(row.message)
