"""Recording accepted sends in one statement: `UPDATE … FROM (VALUES …)` or an executemany."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, Table, bindparam, cast, column, update, values
from sqlalchemy.orm import Session

from storage.models import Outbox

CHUNK = 1000  # rows per statement: 4 parameters each stays far below PostgreSQL's 65,535


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the provider said about one message it took."""

    outbox_id: int
    provider_message_id: str | None
    delivery_status: str | None
    segments: int | None


_DONE = {"status": "sent", "lease_until": None, "error_code": None, "error_detail": None}


def record_sent(session: Session, accepted: Sequence[Accepted], now: datetime) -> None:
    """Mark rows sent with their provider ids, set-based (the common outcome of a send)."""
    if not accepted:
        return
    table: Table = Outbox.__table__  # type: ignore[assignment]
    if session.get_bind().dialect.name == "postgresql":
        for start in range(0, len(accepted), CHUNK):
            chunk = accepted[start : start + CHUNK]
            given = values(
                column("id", Integer),
                column("pid", String),
                column("ds", String),
                column("seg", Integer),
                name="given",
            ).data(
                [(a.outbox_id, a.provider_message_id, a.delivery_status, a.segments) for a in chunk]
            )
            session.execute(
                update(table)
                .where(table.c.id == given.c.id)
                .values(
                    **_DONE,
                    sent_at=now,
                    updated_at=now,
                    # An all-NULL VALUES column is text to PostgreSQL: say what each one is.
                    provider_message_id=cast(given.c.pid, String),
                    delivery_status=cast(given.c.ds, String),
                    segments=cast(given.c.seg, Integer),
                )
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
