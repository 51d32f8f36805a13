"""Bulk statements and a parent's message, side by side on PostgreSQL, without waiting or
overwriting each other.

A message being handled holds its contact row (`contacts.lock`, FOR NO KEY UPDATE) until its
transaction commits. A bulk statement that moves many conversations (a consultation's launch)
takes the same lock on the contacts it will move, skipping those held: it never waits on a
parent mid-message, never overwrites the step that message is writing, and cannot deadlock
with it. The skipped stay as they were and the next pass takes them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models import Contact


def lock_unless_busy(
    session: Session,
    column: ColumnElement[int] | InstrumentedAttribute[int],
    contact_ids: Select[Any],
) -> ColumnElement[bool]:
    """The condition that `column` (a contact id) is one of the contacts `contact_ids` selects
    that this statement could lock, skipping any a message holds.

    The lock is a subquery of the statement that uses the condition, so a launch to 100,000
    parents locks them in the same pass that claims them. On SQLite, whose single writer
    already serialises, nothing is locked and the condition always holds.
    """
    if session.get_bind().dialect.name != "postgresql":
        return true()
    locked = (
        select(Contact.id)
        .where(Contact.id.in_(contact_ids))
        .with_for_update(skip_locked=True, key_share=True)
    )
    return column.in_(locked)
