"""Tip library rows, and the set-based queries of the clock's tip pass."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    select,
    update,
    values,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import FromClause

from conversations.content.library import (
    DUE_WEEK,
    OVERDUE_DAYS,
    TRACK_WEEKS,
    TRACKS,
    Tip,
    TipLibrary,
    tip_week,
)
from storage import bulk
from storage.consent import consented
from storage.models import Child, Contact, ContactIdentity, TipDelivery
from storage.models import Tip as TipRow


def load_library(session: Session) -> TipLibrary:
    rows = session.scalars(select(TipRow).where(TipRow.active.is_(True)))
    return TipLibrary(
        [
            Tip(
                id=r.id,
                track=r.track,  # type: ignore[arg-type]
                week=r.week,
                topic=r.topic,
                routine=r.routine,
                texts=dict(r.texts),
                reviewed={k: bool(v) for k, v in r.reviewed.items()},
            )
            for r in rows
        ]
    )


def replace_library(session: Session, tips: Sequence[Tip], now: datetime) -> tuple[int, int]:
    """Make `tips` the library: upsert each, retire the rest. Returns (kept, retired)."""
    existing = {row.id: row for row in session.scalars(select(TipRow))}
    for tip in tips:
        row = existing.get(tip.id) or TipRow(id=tip.id)
        row.track, row.week, row.topic, row.routine = tip.track, tip.week, tip.topic, tip.routine
        row.texts, row.reviewed = dict(tip.texts), dict(tip.reviewed)
        row.active, row.updated_at = True, now
        session.add(row)
    keep = {tip.id for tip in tips}
    retired = [row for row_id, row in existing.items() if row_id not in keep and row.active]
    for row in retired:
        row.active, row.updated_at = False, now
    return len(tips), len(retired)


def library_is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(TipRow))


@dataclass(frozen=True, slots=True)
class DueHousehold:
    """What the pass needs of a due household (no ORM object: thousands per batch)."""

    id: int
    language: str | None
    paused: bool | None  # paused_until is after now
    tip_weekday: int
    tip_time: str


@dataclass(frozen=True, slots=True)
class DueTip:
    """A child's tip due today, with what its message needs to name the child."""

    contact_id: int
    child_id: int
    tip_id: str
    nickname: str | None = None
    birth_date: date | None = None
    due_date: date | None = None


def due_households(
    session: Session, now: datetime, limit: int, notice_version: str
) -> list[DueHousehold]:
    """Active households whose tip slot has come (index on next_tip_at), locked for this pass.

    Households yet to agree to `notice_version` keep their past slot: served once they agree.
    """
    query = (
        select(
            Contact.id,
            Contact.language,
            (Contact.paused_until > now).label("paused"),
            Contact.tip_weekday,
            Contact.tip_time,
        )
        .where(
            Contact.next_tip_at <= now,
            Contact.status == "active",
            consented(notice_version),
        )
        .order_by(Contact.next_tip_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [DueHousehold(*row) for row in session.execute(query)]


def reschedule(session: Session, slots: Mapping[datetime, Sequence[int]]) -> None:
    """Set each household's next slot: one UPDATE per distinct slot, not one per household."""
    for slot, ids in slots.items():
        session.execute(
            update(Contact).where(bulk.among(session, Contact.id, ids)).values(next_tip_at=slot),
            execution_options={"synchronize_session": False},
        )


@functools.lru_cache(maxsize=8)
def _stage_rows(library: TipLibrary) -> tuple[tuple[str, int, str], ...]:
    """(track, week, tip) for every stage that gets a tip; from week 104 two weeks share one."""
    return tuple(
        (track, week, tip.id)
        for track in TRACKS
        for week in TRACK_WEEKS[track]
        if (tip := library.for_stage(track, tip_week(track, week))) is not None
    )


def _stages(session: Session, library: TipLibrary) -> FromClause:
    """The stages as a table. On PostgreSQL three array parameters, so the statement is
    compiled once and cached (a VALUES list of 289 rows was compiled afresh every batch)."""
    rows = _stage_rows(library)
    columns = (column("track", String), column("week", Integer), column("tip_id", String))
    if not bulk.is_postgresql(session):
        return values(*columns, name="stages").data(list(rows)).cte("stages")
    tracks, weeks, tip_ids = (list(part) for part in zip(*rows, strict=True))
    arrays = (
        literal(tracks, ARRAY(String)),
        literal(weeks, ARRAY(Integer)),
        literal(tip_ids, ARRAY(String)),
    )
    return func.unnest(*arrays).table_valued(*columns).render_derived(name="stages")


def _days(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """`later - earlier` in whole days."""
    if dialect == "postgresql":
        return later - earlier  # type: ignore[no-any-return]  # date - date is an integer
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _stage_of_child(dialect: str, today: date) -> tuple[ColumnElement[str], ColumnElement[int]]:
    """The child's (track, week) today as SQL, `stage_on`'s rule; week NULL outside the tracks."""
    day = literal(today, Date)
    since_birth = _days(dialect, day, Child.birth_date)
    until_due = _days(dialect, Child.due_date, day)
    track = case((Child.birth_date.is_not(None), "child"), else_="pregnancy")
    not_yet_due = case((until_due > 0, until_due), else_=0)
    week = case(
        (and_(Child.birth_date.is_not(None), since_birth >= 0), since_birth // 7),
        (
            and_(Child.birth_date.is_(None), until_due >= -OVERDUE_DAYS),
            DUE_WEEK - (not_yet_due + 6) // 7,  # 40 - ceil(days / 7)
        ),
    )
    return track, week


def due_tips(
    session: Session, library: TipLibrary, today: date, contact_ids: Sequence[int]
) -> list[DueTip]:
    """Every (child, tip) of these households due today and never sent: one set-based query.

    Children join the stages on (track, week) by equality (a hash join), not on date ranges.
    """
    if not contact_ids or not len(library):
        return []
    stages = _stages(session, library)
    track, week = _stage_of_child(session.get_bind().dialect.name, today)
    already = exists().where(
        TipDelivery.child_id == Child.id, TipDelivery.tip_id == stages.c.tip_id
    )
    query = (
        select(
            Child.contact_id,
            Child.id,
            stages.c.tip_id,
            Child.nickname,
            Child.birth_date,
            Child.due_date,
        )
        .join(stages, and_(stages.c.track == track, stages.c.week == week))
        .where(bulk.among(session, Child.contact_id, contact_ids), ~already)
        .order_by(Child.contact_id, Child.id)
    )
    return [DueTip(*row) for row in session.execute(query)]


def tips_this_week(session: Session, contact_ids: Sequence[int], week: str) -> dict[int, int]:
    """Tip messages each household has had this local week (siblings' tips share a message)."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(TipDelivery.contact_id, func.count(func.distinct(TipDelivery.message_key)))
        .where(bulk.among(session, TipDelivery.contact_id, contact_ids))
        .where(TipDelivery.local_week == week)
        .group_by(TipDelivery.contact_id)
    )
    return {contact_id: count for contact_id, count in rows if contact_id is not None}


def record_deliveries(
    session: Session, rows: Sequence[tuple[int, int, str, str]], local_week: str, sent_at: datetime
) -> set[tuple[int, str]]:
    """Note which child got which tip, (contact, child, tip, message key) rows in one statement;
    returns the (child, tip) pairs that were new (a pair another pass already recorded is
    skipped, so it is never sent twice)."""
    if not rows:
        return set()
    if bulk.is_postgresql(session):
        return bulk.insert_deliveries(session, rows, local_week, sent_at)
    # One cached statement run for many rows ("insertmanyvalues" batches them with RETURNING):
    # a 1,000-row VALUES list compiled afresh each time cost more than the insert itself.
    statement = (
        sqlite.insert(TipDelivery)
        .on_conflict_do_nothing()
        .returning(TipDelivery.child_id, TipDelivery.tip_id)
    )
    values = [
        {
            "contact_id": contact_id,
            "child_id": child_id,
            "tip_id": tip_id,
            "message_key": key,
            "local_week": local_week,
            "sent_at": sent_at,
        }
        for contact_id, child_id, tip_id, key in rows
    ]
    rows_back = session.execute(statement, values)
    return {(child, tip) for child, tip in rows_back if child is not None}


@dataclass(frozen=True, slots=True)
class Address:
    """A household's identity as the outbox needs it: its id and channel."""

    id: int
    channel: str


def reachable_identities(session: Session, contact_ids: Sequence[int]) -> dict[int, Address]:
    """Each household's first reachable address, in one query."""
    found: dict[int, Address] = {}
    rows = session.execute(
        select(ContactIdentity.contact_id, ContactIdentity.id, ContactIdentity.channel)
        .where(bulk.among(session, ContactIdentity.contact_id, contact_ids))
        .where(ContactIdentity.reachable.is_(True))
        .order_by(ContactIdentity.id)
    )
    for contact_id, identity_id, channel in rows:
        found.setdefault(contact_id, Address(identity_id, channel))
    return found


def birth_checks_due(session: Session, today: date, contact_ids: Sequence[int]) -> list[Child]:
    """Children past their due date with no birth recorded, in these households."""
    if not contact_ids:
        return []
    return list(
        session.scalars(
            select(Child).where(
                bulk.among(session, Child.contact_id, contact_ids),
                Child.birth_date.is_(None),
                Child.due_date.is_not(None),
                Child.due_date <= date.fromordinal(today.toordinal() - 7),
            )
        )
    )


def clear_inactive_slots(session: Session, now: datetime) -> None:
    """Households that stopped or left need no slot: the clock stops looking at them."""
    session.execute(
        update(Contact)
        .where(Contact.next_tip_at <= now, Contact.status != "active")
        .values(next_tip_at=None)
    )
