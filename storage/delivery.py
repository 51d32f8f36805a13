"""Claiming outbox rows for sending, pacing them, and recording what became of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from conversations.types import MessageKind
from storage.base import affected
from storage.inbound import insert_ignoring_duplicates
from storage.models import OUTBOX_WAITING, Contact, ContactIdentity, Outbox, RateBucket

# Twilio gives no ordering guarantee: a provider status only ever moves up this ladder.
STATUS_RANK = {
    "queued": 0,
    "scheduled": 0,
    "accepted": 1,
    "sending": 2,
    "sent": 3,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
    "partially_delivered": 4,
    "delivered": 5,
    "read": 6,
}
CHAT_GAP = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Claim:
    """A leased outbox row with what sending it needs, read in the claiming query."""

    id: int
    channel: str
    kind: str
    message: dict[str, Any]
    attempts: int  # counting this one
    contact_id: int | None
    identity_id: int | None
    address: str | None  # None: the identity is gone
    reachable: bool
    contact_status: str | None  # None: the contact is gone


def _due(now: datetime) -> object:
    """A row a worker may take: waiting, or leased by a worker whose lease has run out."""
    return or_(
        and_(Outbox.status == "queued", Outbox.not_before <= now),
        and_(Outbox.status == "sending", Outbox.lease_until <= now),
    )


def expire_stale(session: Session, now: datetime) -> int:
    """Messages past their expiry (a reminder held overnight past its close) are never sent."""
    return affected(
        session.execute(
            update(Outbox)
            .where(
                Outbox.status == "queued",
                Outbox.expires_at.is_not(None),
                Outbox.expires_at <= now,
            )
            .values(status="expired", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )


def anything_due(session: Session, now: datetime, channels: Sequence[str]) -> bool:
    """A cheap look (one index probe) before an idle worker takes the bucket lock and claims."""
    query = select(Outbox.id).where(_due(now), Outbox.channel.in_(channels)).limit(1)  # type: ignore[arg-type]
    return session.execute(query).first() is not None


def claim_due(
    session: Session,
    now: datetime,
    lease: timedelta,
    limit: int,
    channels: Sequence[str],
    replies_only: bool = False,
) -> list[Claim]:
    """Lease due rows to this worker: the oldest per chat, replies first, a chat at a time.

    Call `expire_stale` first. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets workers claim side
    by side; on SQLite the single writer (BEGIN IMMEDIATE) makes the same statements safe. The
    leases are one set-based UPDATE, whatever the batch.
    """
    earlier = aliased(Outbox)
    # A reply waits only for earlier replies; a tip held by quiet hours never blocks one. A
    # message waiting to be retried (a 429, a 5xx) holds the chat's later ones, so a question
    # never arrives before its introduction; one scheduled for later does not.
    older_due_for_same_chat = exists().where(
        earlier.identity_id == Outbox.identity_id,
        # Redundant with the test below, but it lets the probe be one ix_outbox_identity
        # lookup: without it PostgreSQL, told by statistics from a mostly-sent outbox that
        # few rows are queued, scanned every queued row's index entry for each candidate.
        earlier.status.in_(OUTBOX_WAITING),
        earlier.id < Outbox.id,
        earlier.priority <= Outbox.priority,
        or_(
            and_(
                earlier.status == "queued",
                or_(earlier.not_before <= now, earlier.attempts > 0),
            ),
            earlier.status == "sending",
        ),
    )
    query = (
        select(
            Outbox.id,
            Outbox.channel,
            Outbox.kind,
            Outbox.message,
            Outbox.attempts,
            Outbox.contact_id,
            Outbox.identity_id,
            ContactIdentity.address,
            ContactIdentity.reachable,
            Contact.status,
        )
        .join(Contact, Contact.id == Outbox.contact_id, isouter=True)
        .join(ContactIdentity, ContactIdentity.id == Outbox.identity_id, isouter=True)
        .where(
            # OUTBOX_WAITING (implied by _due) as ix_outbox_claim's condition, in literals: SQLite
            # matches a partial index's condition term by term, bound values never match.
            Outbox.status.in_([literal_column("'queued'"), literal_column("'sending'")]),
            _due(now),  # type: ignore[arg-type]
            Outbox.channel.in_(channels),
            or_(Contact.id.is_(None), Contact.is_simulated.is_(False)),
            or_(
                ContactIdentity.last_sent_at.is_(None),
                ContactIdentity.last_sent_at <= now - CHAT_GAP,
            ),
            ~older_due_for_same_chat,
        )
        .order_by(Outbox.priority, Outbox.not_before, Outbox.id)
        .limit(limit)
    )
    if replies_only:  # quiet hours: proactive messages wait until morning
        # Every reply, and only a reply, has priority 0: said too, it ends the walk along
        # ix_outbox_claim at the last reply instead of at the end of a night's queued tips.
        query = query.where(Outbox.kind == MessageKind.REPLY.value, Outbox.priority == 0)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Outbox)
    claimed: list[Claim] = []
    chats: set[int | None] = set()
    for row in session.execute(query):
        if row.identity_id in chats:
            continue  # one message per chat per batch keeps a chat's messages in order
        chats.add(row.identity_id)
        claimed.append(
            Claim(
                row.id,
                row.channel,
                row.kind,
                row.message,
                row.attempts + 1,
                row.contact_id,
                row.identity_id,
                row.address,
                bool(row.reachable) and row.address is not None,
                row.status,
            )
        )
    if claimed:
        session.execute(
            update(Outbox)
            .where(_among(session, Outbox.id, [c.id for c in claimed]))
            .values(
                status="sending",
                lease_until=now + lease,
                updated_at=now,
                attempts=Outbox.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        reached = [c.identity_id for c in claimed if c.identity_id and c.address is not None]
        if reached:
            session.execute(
                update(ContactIdentity)
                .where(_among(session, ContactIdentity.id, reached))
                .values(last_sent_at=now)
                .execution_options(synchronize_session=False)
            )
    return claimed


def _among(session: Session, column: InstrumentedAttribute[int], ids: list[int]) -> Any:
    """`column IN ids`; on PostgreSQL `= ANY(array)`, one parameter however many ids, so the
    SQL text (and psycopg's parse of it) is the same every time."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)


def finish_unsent(session: Session, rows: Sequence[tuple[int, str, str]], now: datetime) -> None:
    """End claimed rows that must not be sent: (id, status, error code), one executemany."""
    if rows:
        table: Table = Outbox.__table__  # type: ignore[assignment]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                status=bindparam("b_status"),
                error_code=bindparam("b_code"),
                lease_until=None,
                updated_at=now,
            ),
            [{"b_id": i, "b_status": status, "b_code": code} for i, status, code in rows],
        )


def take_tokens(
    session: Session, channel: str, wanted: float, rate: float, burst: float, now: datetime
) -> float:
    """Take up to `wanted` tokens from the channel's shared bucket; returns how many."""
    insert_ignoring_duplicates(
        session,
        RateBucket.__table__,  # type: ignore[arg-type]
        {"channel": channel, "tokens": burst, "refreshed_at": now},
        key="channel",
    )
    bucket = session.scalars(
        select(RateBucket).where(RateBucket.channel == channel).with_for_update()
    ).one()
    elapsed = max(0.0, (now - bucket.refreshed_at).total_seconds())
    available = min(burst, bucket.tokens + elapsed * rate)
    taken = max(0.0, min(available, wanted))  # a held channel's bucket is below zero
    bucket.tokens, bucket.refreshed_at = available - taken, max(now, bucket.refreshed_at)
    return taken


def hold_channel(
    session: Session, channel: str, seconds: float, rate: float, now: datetime
) -> None:
    """Empty the channel's shared bucket so no worker sends on it for `seconds` (a 429's
    retry_after applies to the whole bot, not only to the message that met it)."""
    bucket = session.scalars(
        select(RateBucket).where(RateBucket.channel == channel).with_for_update()
    ).one_or_none()
    if bucket is None or seconds <= 0:
        return
    elapsed = max(0.0, (now - bucket.refreshed_at).total_seconds())
    bucket.tokens = min(bucket.tokens + elapsed * rate, -seconds * rate)
    bucket.refreshed_at = max(now, bucket.refreshed_at)


def give_back_tokens(session: Session, channel: str, amount: float) -> None:
    if amount > 0:
        session.execute(
            update(RateBucket)
            .where(RateBucket.channel == channel)
            .values(tokens=RateBucket.tokens + amount)
        )


def record_status(
    session: Session, provider_message_id: str, status: str, error_code: str | None, at: datetime
) -> bool:
    """Move a message's provider status forward; a late or repeated callback changes nothing."""
    rank = STATUS_RANK.get(status)
    if rank is None:
        return False
    lower = [name for name, value in STATUS_RANK.items() if value < rank]
    result = session.execute(
        update(Outbox)
        .where(
            Outbox.provider_message_id == provider_message_id,
            or_(Outbox.delivery_status.is_(None), Outbox.delivery_status.in_(lower)),
        )
        .values(delivery_status=status, error_code=error_code or Outbox.error_code, updated_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def summary(session: Session) -> list[tuple[str, str, int]]:
    """(channel, status, count) for the whole outbox: its health at a glance."""
    rows = session.execute(
        select(Outbox.channel, Outbox.status, func.count())
        .group_by(Outbox.channel, Outbox.status)
        .order_by(Outbox.channel, Outbox.status)
    )
    return [(channel, status, count) for channel, status, count in rows]


def failed(session: Session, limit: int) -> list[tuple[Outbox, str | None]]:
    """The latest failed messages with the contact's pseudonymous code (never an address)."""
    rows = session.execute(
        select(Outbox, Contact.code)
        .join(Contact, Contact.id == Outbox.contact_id, isouter=True)
        .where(Outbox.status == "failed")
        .order_by(Outbox.updated_at.desc(), Outbox.id.desc())
        .limit(limit)
    )
    return [(row, code) for row, code in rows]


def retry(session: Session, outbox_id: int, now: datetime) -> bool:
    """Queue a failed message again, with a fresh set of attempts (it is already due)."""
    result = session.execute(
        update(Outbox)
        .where(Outbox.id == outbox_id, Outbox.status == "failed")
        .values(status="queued", attempts=0, lease_until=None, updated_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
