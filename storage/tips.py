"""Tip library rows, and the set-based queries of the clock's tip pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, String, and_, exists, func, literal, or_, select, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.content.library import Tip, TipLibrary, stage_window
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
class DueTip:
    contact_id: int
    child_id: int
    tip_id: str


def _windows(library: TipLibrary, today: date):  # type: ignore[no-untyped-def]
    """A tiny table of (tip, track, first date, last date) for today, to join children against."""
    selects = []
    for tip in library.tips:
        low, high = stage_window(tip.track, tip.week, today)
        selects.append(
            select(
                literal(tip.id, String).label("tip_id"),
                literal(tip.track, String).label("track"),
                literal(low, Date).label("low"),
                literal(high, Date).label("high"),
            )
        )
    return union_all(*selects).cte("windows")


def due_households(
    session: Session, now: datetime, limit: int, notice_version: str
) -> list[Contact]:
    """Active households whose tip slot has come (index on next_tip_at), locked for this pass.

    Households yet to agree to `notice_version` keep their past slot: served once they agree.
    """
    query = (
        select(Contact)
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
    return list(session.scalars(query))


def due_tips(
    session: Session, library: TipLibrary, today: date, contact_ids: Sequence[int]
) -> list[DueTip]:
    """Every (child, tip) of these households due today and never sent: one set-based query."""
    if not contact_ids or not len(library):
        return []
    windows = _windows(library, today)
    already = exists().where(
        TipDelivery.child_id == Child.id, TipDelivery.tip_id == windows.c.tip_id
    )
    query = (
        select(Child.contact_id, Child.id, windows.c.tip_id)
        .join(
            windows,
            or_(
                and_(
                    windows.c.track == "child",
                    Child.birth_date.between(windows.c.low, windows.c.high),
                ),
                and_(
                    windows.c.track == "pregnancy",
                    Child.birth_date.is_(None),
                    Child.due_date.between(windows.c.low, windows.c.high),
                ),
            ),
        )
        .where(Child.contact_id.in_(contact_ids), ~already)
        .order_by(Child.contact_id, Child.id)
    )
    return [
        DueTip(contact_id, child_id, tip_id)
        for contact_id, child_id, tip_id in session.execute(query)
    ]


def tips_this_week(session: Session, contact_ids: Sequence[int], week: str) -> dict[int, int]:
    """Tip messages each household has had this local week (siblings' tips share a message)."""
    if not contact_ids:
        return {}
    rows = session.execute(
        select(TipDelivery.contact_id, func.count(func.distinct(TipDelivery.message_key)))
        .where(TipDelivery.contact_id.in_(contact_ids), TipDelivery.local_week == week)
        .group_by(TipDelivery.contact_id)
    )
    return {contact_id: count for contact_id, count in rows if contact_id is not None}


def record_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> set[tuple[int, str]]:
    """Note which child got which tip, in one statement; returns the (child, tip) pairs that
    were new (a pair another pass already recorded is skipped, so it is never sent twice)."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    table = TipDelivery.__table__
    # One cached statement run for many rows ("insertmanyvalues" batches them with RETURNING):
    # a 1,000-row VALUES list compiled afresh each time cost more than the insert itself.
    statement = (
        module.insert(table).on_conflict_do_nothing().returning(table.c.child_id, table.c.tip_id)
    )
    return {(child_id, tip_id) for child_id, tip_id in session.execute(statement, list(rows))}


def reachable_identities(
    session: Session, contact_ids: Sequence[int]
) -> dict[int, ContactIdentity]:
    """Each household's first reachable address, in one query."""
    found: dict[int, ContactIdentity] = {}
    rows = session.scalars(
        select(ContactIdentity)
        .where(ContactIdentity.contact_id.in_(contact_ids), ContactIdentity.reachable.is_(True))
        .order_by(ContactIdentity.id)
    )
    for identity in rows:
        found.setdefault(identity.contact_id, identity)
    return found


def children_by_id(session: Session, child_ids: Sequence[int]) -> dict[int, Child]:
    if not child_ids:
        return {}
    return {c.id: c for c in session.scalars(select(Child).where(Child.id.in_(child_ids)))}


def birth_checks_due(session: Session, today: date, contact_ids: Sequence[int]) -> list[Child]:
    """Children past their due date with no birth recorded, in these households."""
    if not contact_ids:
        return []
    return list(
        session.scalars(
            select(Child).where(
                Child.contact_id.in_(contact_ids),
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
