"""Many rows to PostgreSQL as one array per column: one parameter each, not one per value.

A 5,000-id IN list or a 1,000-row VALUES insert means thousands of bind parameters to
process, send, parse and plan per statement; `= ANY(:array)` and `unnest(:array, …)` are one
parameter per column however many rows. Other databases get the portable form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, literal, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import QueryableAttribute, Session


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def among(
    session: Session, column: QueryableAttribute[Any] | ColumnElement[Any], ids: Sequence[int]
) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL `IN (SELECT unnest(array))`, which the planner runs as
    an index lookup per id (`= ANY(array)` makes it scan the whole table once the list is long,
    so a batch would cost more the more children there are, not the more that are due)."""
    if is_postgresql(session):
        return column.in_(select(func.unnest(literal(list(ids), ARRAY(Integer)))))
    return column.in_(ids)


_DELIVERIES = text(
    """
    INSERT INTO tip_deliveries (contact_id, child_id, tip_id, message_key, local_week, sent_at)
    SELECT contact_id, child_id, tip_id, message_key, :local_week, :sent_at
    FROM unnest(
        CAST(:contact_ids AS integer[]), CAST(:child_ids AS integer[]),
        CAST(:tip_ids AS text[]), CAST(:message_keys AS text[])
    ) AS planned (contact_id, child_id, tip_id, message_key)
    ON CONFLICT DO NOTHING
    RETURNING child_id, tip_id
    """
)


def insert_deliveries(
    session: Session, rows: Sequence[tuple[int, int, str, str]], local_week: str, sent_at: datetime
) -> set[tuple[int, str]]:
    """PostgreSQL: (contact, child, tip, message key) rows into tip_deliveries; the new pairs."""
    contact_ids, child_ids, tip_ids, keys = (list(column) for column in zip(*rows, strict=True))
    result = session.execute(
        _DELIVERIES,
        {
            "contact_ids": contact_ids,
            "child_ids": child_ids,
            "tip_ids": tip_ids,
            "message_keys": keys,
            "local_week": local_week,
            "sent_at": sent_at.astimezone(UTC),
        },
    )
    return {(child_id, tip_id) for child_id, tip_id in result}


_OUTBOX = text(
    """
    INSERT INTO outbox (contact_id, identity_id, channel, kind, priority, message, dedupe_key,
                        status, not_before, attempts, created_at)
    SELECT contact_id, identity_id, channel, kind, priority, messages.message, dedupe_key,
           'queued', :now, 0, :now
    FROM unnest(
        CAST(:contact_ids AS integer[]), CAST(:identity_ids AS integer[]),
        CAST(:channels AS text[]), CAST(:kinds AS text[]), CAST(:priorities AS integer[]),
        CAST(:message_numbers AS integer[]), CAST(:dedupe_keys AS text[])
    ) WITH ORDINALITY AS queued (contact_id, identity_id, channel, kind, priority,
                                 message_number, dedupe_key, position)
    JOIN unnest(CAST(:messages AS jsonb[])) WITH ORDINALITY AS messages (message, number)
        ON messages.number = queued.message_number
    ORDER BY queued.position
    """
)


def insert_outbox(
    session: Session, rows: Sequence[dict[str, Any]], messages: Sequence[str], now: datetime
) -> None:
    """PostgreSQL: queued outbox rows in one statement. Many rows share a message, so each
    distinct message is sent once, as JSON text in `messages`; a row's `message` is the
    1-based number of its own in that list."""
    names = ("contact_id", "identity_id", "channel", "kind", "priority", "message", "dedupe_key")
    columns = {name: [row[name] for row in rows] for name in names}
    session.execute(
        _OUTBOX,
        {
            "contact_ids": columns["contact_id"],
            "identity_ids": columns["identity_id"],
            "channels": columns["channel"],
            "kinds": columns["kind"],
            "priorities": columns["priority"],
            "message_numbers": columns["message"],
            "messages": list(messages),
            "dedupe_keys": columns["dedupe_key"],
            "now": now.astimezone(UTC),
        },
    )
