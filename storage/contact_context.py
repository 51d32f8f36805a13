"""What the engine reads about a contact besides the contact row (one statement), and its
conversation state written back without the ORM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, bindparam, exists, insert, select, update
from sqlalchemy.orm import Session

from conversations.types import Child as ChildView
from conversations.types import ConversationState as StateView
from storage import held_writes
from storage.inbound import MAX_ATTEMPTS
from storage.models import Child, Contact, ConversationState, InboundMessage, TipDelivery


@dataclass(frozen=True, slots=True)
class Known:
    """A contact's conversation state (None: no row yet), children, last tip and backlog."""

    state: StateView | None
    children: tuple[ChildView, ...]
    last_tip: tuple[str, datetime] | None
    earlier_pending: bool = False


# A contact this transaction has just created: no state, no child, no tip, nothing waiting.
NEW_CONTACT = Known(state=None, children=(), last_tip=None)


def _query(with_pending: bool, many: bool = False) -> Select[Any]:
    """The context of the contact `contact_id`; `many`: of each contact in `contact_ids`, its
    id added as the last column."""
    last = (
        select(TipDelivery.tip_id)
        .where(TipDelivery.contact_id == Contact.id)
        .order_by(TipDelivery.sent_at.desc(), TipDelivery.id.desc())
        .limit(1)
    )
    columns: list[Any] = [
        ConversationState.contact_id,
        ConversationState.flow,
        ConversationState.step,
        ConversationState.data,
        Child.id,
        Child.nickname,
        Child.birth_date,
        Child.due_date,
        last.scalar_subquery(),
        last.with_only_columns(TipDelivery.sent_at).scalar_subquery(),
    ]
    if with_pending:
        columns.append(
            exists().where(
                InboundMessage.contact_id == Contact.id,
                InboundMessage.processed_at.is_(None),
                InboundMessage.attempts < MAX_ATTEMPTS,
            )
        )
    query: Select[Any] = (
        select(*columns)
        .select_from(Contact)
        .outerjoin(ConversationState, ConversationState.contact_id == Contact.id)
        .outerjoin(Child, Child.contact_id == Contact.id)
    )
    if many:
        return (
            query.add_columns(Contact.id)
            .where(Contact.id.in_(bindparam("contact_ids", expanding=True)))
            .order_by(Contact.id, Child.id)
        )
    return query.where(Contact.id == bindparam("contact_id")).order_by(Child.id)


# Built once: constructing the statement cost more CPU than running it.
_PLAIN, _WITH_PENDING, _MANY = _query(False), _query(True), _query(True, many=True)


def load(session: Session, contact_id: int, with_pending: bool = False) -> Known:
    """State, children (oldest first) and last tip; `with_pending`: whether messages wait."""
    rows = session.execute(_WITH_PENDING if with_pending else _PLAIN, {"contact_id": contact_id})
    return _known(list(rows), with_pending)


def load_many(session: Session, contact_ids: list[int]) -> dict[int, Known]:
    """`load(..., with_pending=True)` for several contacts in one statement, by contact id."""
    rows: dict[int, list[Any]] = {}
    for row in session.execute(_MANY, {"contact_ids": contact_ids}):
        rows.setdefault(row[-1], []).append(row)
    return {contact_id: _known(held, with_pending=True) for contact_id, held in rows.items()}


def _known(rows: list[Any], with_pending: bool) -> Known:
    state: StateView | None = None
    children: list[ChildView] = []
    last_tip: tuple[str, datetime] | None = None
    pending = False
    for row in rows:
        if row[0] is not None:
            state = StateView(row[1], row[2], dict(row[3] or {}))
        if row[4] is not None:
            children.append(ChildView(row[4], row[5], birth_date=row[6], due_date=row[7]))
        last_tip = (row[8], row[9]) if row[8] is not None else None
        pending = bool(row[10]) if with_pending else False
    return Known(state, tuple(children), last_tip, pending)


_TABLE: Table = ConversationState.__table__  # type: ignore[assignment]
_UPDATE = update(_TABLE).where(_TABLE.c.contact_id == bindparam("id"))
_INSERT = insert(_TABLE)


def save_state(
    session: Session, contact_id: int, known: Known, state: StateView, now: datetime
) -> None:
    """Write the conversation state read as `known`: one UPDATE (or INSERT), no ORM flush."""
    values = {"flow": state.flow, "step": state.step, "data": dict(state.data), "updated_at": now}
    held = session.identity_map.get(session.identity_key(ConversationState, contact_id))
    if held is not None:  # loaded through the session meanwhile: keep one truth, the ORM's
        for name, value in values.items():
            setattr(held, name, value)
        return
    if (batch := held_writes.held(session)) is not None:  # written at its end, or before a read
        (batch.new_states if known.state is None else batch.states)[contact_id] = values
        return
    connection = session.connection()  # not session.execute: no autoflush of the contact
    if known.state is None:
        connection.execute(_INSERT, {"contact_id": contact_id, **values})
    else:
        connection.execute(_UPDATE, {"id": contact_id, **values})
