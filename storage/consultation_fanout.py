"""A launched consultation's fan-out: its audience invited a chunk of contacts at a time.

The launch only opens the consultation with its counted audience and a cursor; each chunk
then takes the next contacts by id, in its own short transaction, with the consultation's
row locked so two passes never take the same chunk (a second one skips it instead).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.base import affected
from storage.consultation_audience import Span
from storage.consultation_models import Consultation as ConsultationRow
from storage.models import Contact


def open_scheduled(session: Session, cid: str, recipients: int, now: datetime) -> bool:
    """Open a scheduled consultation for fan-out from the first contact; False if another
    pass opened it first."""
    opened = session.execute(
        update(ConsultationRow)
        .where(ConsultationRow.id == cid, ConsultationRow.status == "scheduled")
        .values(
            status="open", launched_at=now, recipients=recipients, fanout_after=0, updated_at=now
        )
        .execution_options(preserve_rowcount=True)
    )
    return affected(opened) == 1


def fanning_out(session: Session) -> list[str]:
    """Open consultations whose fan-out has contacts left, oldest launch first."""
    return list(
        session.scalars(
            select(ConsultationRow.id)
            .where(ConsultationRow.status == "open", ConsultationRow.fanout_after.is_not(None))
            .order_by(ConsultationRow.launched_at, ConsultationRow.id)
        )
    )


def take_chunk(session: Session, cid: str, size: int) -> tuple[ConsultationRow, Span] | None:
    """Lock the consultation and move its cursor past the next `size` active contacts (the
    chunk's span); a short chunk is the last, and clears the cursor. None if another pass
    holds the consultation, or its fan-out is over.

    Contacts who become active after the cursor passed them are invited as they finish
    joining (`bot.consultation_followup`), like anyone who joins after the launch.
    """
    row = session.scalars(
        select(ConsultationRow)
        .where(
            ConsultationRow.id == cid,
            ConsultationRow.status == "open",
            ConsultationRow.fanout_after.is_not(None),
        )
        .with_for_update(skip_locked=True)
    ).one_or_none()
    if row is None or row.fanout_after is None:
        return None
    after = row.fanout_after
    ids = (
        select(Contact.id)
        .where(Contact.id > after, Contact.status == "active")
        .order_by(Contact.id)
        .limit(size)
        .subquery()
    )
    last, found = session.execute(select(func.max(ids.c.id), func.count())).one()
    row.fanout_after = last if found == size else None
    session.flush()
    return None if last is None else (row, (after, last))
