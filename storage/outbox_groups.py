"""One message to many residents: an INSERT … SELECT into the outbox per group.

Residents who share a language and channel (and, optionally, one more key such as the
question they are on) get the same message, so each group costs one statement whatever its
size. Dedupe keys make a repeat insert nothing (ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, ColumnElement, Select, String, cast, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.types import OutgoingMessage
from storage.base import JSONType, UTCDateTime, affected
from storage.consultation_audience import first_identities
from storage.models import ContactIdentity, Outbox

# (language, channel, group key or None) -> the messages for that group, in order
Messages = Callable[[str, str, str | None], tuple[OutgoingMessage, ...]]
COLUMNS = [
    "contact_id",
    "identity_id",
    "channel",
    "kind",
    "priority",
    "message",
    "dedupe_key",
    "status",
    "not_before",
    "attempts",
    "created_at",
    "expires_at",
]


def enqueue_groups(
    session: Session,
    recipients: Select[*tuple[Any, ...]],
    messages: Messages,
    key_prefix: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> int:
    """Queue `messages` for every recipient; returns how many rows were written.

    `recipients` selects (contact_id, language, channel, group key); the key may be a NULL
    literal when everyone in a language and channel gets the same.
    """
    people = recipients.subquery()
    contact_id, language, channel, group = list(people.c)[:4]
    groups = session.execute(select(language, channel, group).distinct()).all()
    firsts = first_identities().subquery()
    written = 0
    for lang, chan, key in groups:
        for n, message in enumerate(messages(lang, chan, key)):
            source = (
                select(
                    *row_columns(
                        contact_id,
                        (ContactIdentity.id, ContactIdentity.channel),
                        message,
                        f"{key_prefix}:{n}:",
                        now,
                        expires_at,
                    )
                )
                .join(firsts, firsts.c.contact_id == contact_id)
                .join(ContactIdentity, ContactIdentity.id == firsts.c.identity_id)
                .where(language == lang, channel == chan)
            )
            source = source.where(group.is_(None) if key is None else group == key)
            written += insert_rows(session, source)
    return written


def row_columns(
    contact_id: Any,
    identity: tuple[Any, Any],
    message: OutgoingMessage,
    key: str,
    now: datetime,
    expires_at: datetime | None,
) -> list[ColumnElement[Any]]:
    """An outbox row's COLUMNS for `message` to `contact_id` at `identity` (its id and
    channel), deduplicated by `key` followed by the contact's id."""
    return [
        contact_id,
        *identity,
        literal(message.kind.value),
        literal(1),
        literal(message.to_json(), JSONType),
        literal(key) + cast(contact_id, String),
        literal("queued"),
        literal(now, UTCDateTime()),
        literal(0),
        literal(now, UTCDateTime()),
        literal(expires_at, UTCDateTime()),
    ]


def insert_rows(session: Session, source: Any, *ctes: CTE) -> int:
    """INSERT the outbox rows `source` selects (COLUMNS), skipping known dedupe keys."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(Outbox.__table__)
        .from_select(COLUMNS, source)
        .on_conflict_do_nothing()
        # Kept before the cursor closes: psycopg reports -1 for a closed cursor's INSERT
        # (counting a RETURNING list would fetch every new id).
        .execution_options(preserve_rowcount=True)
    )
    for cte in ctes:
        statement = statement.add_cte(cte)
    return affected(session.execute(statement))
