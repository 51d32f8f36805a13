"""Many rows to PostgreSQL as one array per column: one parameter each, not one per value.

A 5,000-id IN list or a 1,000-row VALUES insert means thousands of bind parameters to
process, send, parse and plan per statement; `= ANY(:array)` and `unnest(:array, …)` are one
parameter per column however many rows. Other databases get the portable form.

Rows with text in them go as one JSON string (`jsonb_to_recordset`), not as arrays: psycopg
writes a list of strings in PostgreSQL's text array syntax in pure Python, quoting and escaping
each element with regular expressions (a batch of 5,000 JSON messages took 0.26 s of CPU that
way; `json.dumps` of the same, a few ms).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, literal, select, text
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
        return column.in_(select(func.unnest(cast(literal(int_array(ids)), ARRAY(Integer)))))
    return column.in_(ids)


def int_array(ids: Sequence[int]) -> str:
    """PostgreSQL's text form of an integer array, `{1,2,3}`: one string for psycopg to send
    as it is, where a list is written out element by element in Python."""
    return "{" + ",".join(map(str, map(int, ids))) + "}"


_DELIVERIES = text(
    """
    INSERT INTO tip_deliveries (contact_id, child_id, tip_id, message_key, local_week, sent_at)
    SELECT contact_id, child_id, tip_id, message_key, :local_week, :sent_at
    FROM jsonb_to_recordset(CAST(:rows AS jsonb))
        AS planned (contact_id integer, child_id integer, tip_id text, message_key text)
    ON CONFLICT DO NOTHING
    RETURNING child_id, tip_id
    """
)


def insert_deliveries(
    session: Session, rows: Sequence[tuple[int, int, str, str]], local_week: str, sent_at: datetime
) -> set[tuple[int, str]]:
    """PostgreSQL: (contact, child, tip, message key) rows into tip_deliveries; the new pairs."""
    names = ("contact_id", "child_id", "tip_id", "message_key")
    planned = json.dumps([dict(zip(names, row, strict=True)) for row in rows])
    result = session.execute(
        _DELIVERIES,
        {"rows": planned, "local_week": local_week, "sent_at": sent_at.astimezone(UTC)},
    )
    return {(child_id, tip_id) for child_id, tip_id in result.all()}


_OUTBOX = text(
    """
    INSERT INTO outbox (contact_id, identity_id, channel, kind, priority, message, dedupe_key,
                        status, not_before, attempts, created_at)
    SELECT contact_id, identity_id, channel, kind, priority, messages.message, dedupe_key,
           'queued', :now, 0, :now
    FROM ROWS FROM (
        jsonb_to_recordset(CAST(:rows AS jsonb)) AS (
            contact_id integer, identity_id integer, channel text, kind text, priority integer,
            message integer, dedupe_key text
        )
    ) WITH ORDINALITY AS queued (contact_id, identity_id, channel, kind, priority,
                                 message_number, dedupe_key, position)
    JOIN jsonb_array_elements(CAST(:messages AS jsonb)) WITH ORDINALITY
        AS messages (message, number)
        ON messages.number = queued.message_number
    ORDER BY queued.position
    """
)


def insert_outbox(
    session: Session, rows: Sequence[dict[str, Any]], messages: Sequence[Any], now: datetime
) -> None:
    """PostgreSQL: queued outbox rows in one statement. Many rows share a message, so each
    distinct message (its JSON form) is sent once, in `messages`; a row's `message` is the
    1-based number of its own in that list."""
    session.execute(
        _OUTBOX,
        {
            "rows": json.dumps(list(rows)),
            "messages": json.dumps(list(messages)),
            "now": now.astimezone(UTC),
        },
    )
