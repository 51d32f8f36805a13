"""A batch's outbox rows and conversation states, held and written once at its end.

Group commit (bot/inbound.py `receive_many`) processes many messages in one transaction; each
used to write its replies and its new state with statements of its own, one round trip to the
database each. While a batch holds them they are kept here and written at its end, one
executemany per kind (psycopg sends each as one pipeline): the round trips, not the CPU, were
what a batch spent its time on (benchmarks/RESULTS.md).

Nothing can read around them: any statement on the batch's connection that touches the outbox
or conversation_states, however it is issued (a query, the ORM's flush, a bulk UPDATE), first
writes what is held (a `before_execute` hook). So outbox ids keep each parent's order, a parent
read again sees their new state, and a statement that writes either table sees what was queued
before it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, Table, TextClause, bindparam, event, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from storage.models import ConversationState, Outbox

_KEY = "held_writes"
_OUTBOX: Table = Outbox.__table__  # type: ignore[assignment]
_STATES: Table = ConversationState.__table__  # type: ignore[assignment]
_HELD_TABLES = (_OUTBOX, _STATES)
_INSERT_OUTBOX = insert(_OUTBOX)
_INSERT_STATE = insert(_STATES)
_UPDATE_STATE = update(_STATES).where(_STATES.c.contact_id == bindparam("id"))


@dataclass
class Held:
    """What a batch has queued but not yet written."""

    outbox: list[dict[str, Any]] = field(default_factory=list)
    states: dict[int, dict[str, Any]] = field(default_factory=dict)  # contact id -> values
    new_states: dict[int, dict[str, Any]] = field(default_factory=dict)  # the same, no row yet

    def __bool__(self) -> bool:
        return bool(self.outbox or self.states or self.new_states)


@contextmanager
def holding(session: Session) -> Iterator[None]:
    """Hold outbox rows and states on the session's connection until the block ends,
    then write them (not if the block raises: the transaction is rolled back anyway)."""
    connection = session.connection()
    connection.info[_KEY] = Held()
    try:
        yield
        write(connection)
    finally:
        connection.info.pop(_KEY, None)


def held(session: Session) -> Held | None:
    """What is held for the session's transaction, if a batch is holding."""
    found: Held | None = session.connection().info.get(_KEY)
    return found


def write(connection: Connection) -> None:
    """Write what is held, outbox rows first, in the order they were queued."""
    found: Held | None = connection.info.get(_KEY)
    if not found:
        return
    outbox, states, new_states = found.outbox, found.states, found.new_states
    found.outbox, found.states, found.new_states = [], {}, {}
    if outbox:
        connection.execute(_INSERT_OUTBOX, outbox)
    if new_states:
        connection.execute(_INSERT_STATE, [{"contact_id": c, **v} for c, v in new_states.items()])
    if states:
        connection.execute(_UPDATE_STATE, [{"id": cid, **v} for cid, v in states.items()])


# Per statement object, for as long as it lives: most are built once, at import. Weak, so a
# statement built for one call (its parameters a parent's details) is not kept by this.
_TOUCHES: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _touches_held_tables(statement: Any) -> bool:
    try:
        return _TOUCHES[statement]
    except (KeyError, TypeError):  # TypeError: an object that cannot be weakly referenced
        pass
    found = _reads_or_writes_held_tables(statement)
    with suppress(TypeError):
        _TOUCHES[statement] = found
    return found


def _reads_or_writes_held_tables(statement: Any) -> bool:
    if isinstance(statement, TextClause):
        return any(table.name in statement.text for table in _HELD_TABLES)
    try:
        tables = find_tables(statement, include_joins=True, include_aliases=True, include_crud=True)
    except Exception:  # a construct find_tables cannot walk: write first, to be safe
        return True
    return any(table in tables for table in _HELD_TABLES)


@event.listens_for(Engine, "before_execute")
def _write_before_reading(
    connection: Connection, statement: Any, *_args: Any, **_kwargs: Any
) -> None:
    found: Held | None = connection.info.get(_KEY)
    if found and _touches_held_tables(statement):
        write(connection)


@event.listens_for(Engine, "savepoint")
def _write_before_savepoint(connection: Connection, _name: str | None) -> None:
    # What is held belongs to the enclosing transaction: were it written inside a savepoint
    # that is then rolled back (a new parent created twice at once), it would be lost.
    write(connection)
