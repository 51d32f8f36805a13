"""Recording accepted sends in one statement: `UPDATE … FROM unnest(arrays)` or an executemany."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.orm import Session

from storage.base import UTCDateTime
from storage.models import Outbox


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the provider said about one message it took."""

    outbox_id: int
    provider_message_id: str | None
    delivery_status: str | None
    segments: int | None


_SENT_PG = text(
    "UPDATE outbox SET status = 'sent', lease_until = NULL, error_code = NULL,"
    " error_detail = NULL, sent_at = :now, updated_at = :now, provider_message_id = given.pid,"
    " delivery_status = given.ds, segments = given.seg"
    " FROM unnest(CAST(:ids AS integer[]), CAST(:pids AS varchar[]), CAST(:ds AS varchar[]),"
    " CAST(:segs AS integer[])) AS given(id, pid, ds, seg)"
    " WHERE outbox.id = given.id"
).bindparams(bindparam("now", type_=UTCDateTime()))
_DONE = {"status": "sent", "lease_until": None, "error_code": None, "error_detail": None}


def record_sent(session: Session, accepted: Sequence[Accepted], now: datetime) -> None:
    """Mark rows sent with their provider ids, set-based (the common outcome of a send)."""
    if not accepted:
        return
    table: Table = Outbox.__table__  # type: ignore[assignment]
    if session.get_bind().dialect.name == "postgresql":
        # Four arrays, whatever the count: the SQL text never changes (cached, compiled once)
        # and the rows go in one round trip, where VALUES compiled a new statement each time.
        session.execute(
            _SENT_PG,
            {
                "ids": [a.outbox_id for a in accepted],
                "pids": [a.provider_message_id for a in accepted],
                "ds": [a.delivery_status for a in accepted],
                "segs": [a.segments for a in accepted],
                "now": now,
            },
        )
        return
    # SQLite: one prepared statement run per row (executemany) in the same transaction.
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            **_DONE,
            sent_at=now,
            updated_at=now,
            provider_message_id=bindparam("b_pid"),
            delivery_status=bindparam("b_ds"),
            segments=bindparam("b_seg"),
        )
    )
    session.execute(
        statement,
        [
            {
                "b_id": a.outbox_id,
                "b_pid": a.provider_message_id,
                "b_ds": a.delivery_status,
                "b_seg": a.segments,
            }
            for a in accepted
        ],
    )
