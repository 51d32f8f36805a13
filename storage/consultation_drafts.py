"""Consultations saved from the dashboard before launch (status "draft"), and the list of all.

A draft is a row in `consultations` the clock never looks at (it only launches "scheduled"
rows) and that has no invites, so results and exports of it are empty.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.consultations.model import Consultation
from storage.consultation_models import Consultation as ConsultationRow

DRAFT = "draft"


def save_draft(
    session: Session, consultation: Consultation, actor: str, now: datetime, create: bool
) -> str | None:
    """Store a new draft (`create`) or replace a draft's definition; else why not:
    "taken" (a new one whose id exists) or "launched" (no longer a draft, or gone)."""
    row = session.get(ConsultationRow, consultation.id)
    if create and row is not None:
        return "taken"
    if not create and (row is None or row.status != DRAFT):
        return "launched"
    if row is None:
        # launch_at is required by the table; a draft's is its saving time, never read.
        row = ConsultationRow(
            id=consultation.id, status=DRAFT, created_at=now, created_by=actor, launch_at=now
        )
    row.definition = consultation.to_json()
    row.closes_at, row.updated_at, row.launch_at = consultation.closes_at, now, now
    session.add(row)
    return None


def every_consultation(session: Session) -> list[ConsultationRow]:
    """Every consultation, newest first (there are tens, not thousands)."""
    return list(
        session.scalars(
            select(ConsultationRow).order_by(ConsultationRow.updated_at.desc(), ConsultationRow.id)
        )
    )
