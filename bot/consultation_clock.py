"""The clock's consultation pass: launch what is due, ask who is free, remind, and close.

Each step is idempotent through the invite's status and reminder count, and the outbox's
unique dedupe keys, so a repeated or concurrent pass never sends anything twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from bot.consultations import messages_for
from conversations.consultations.model import Consultation
from storage import consultation_audience as audience_sql
from storage import consultations as store
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationInvite
from storage.consultation_start import start_pending
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


def run_consultation_pass(container: Container, now: datetime) -> int:
    """Everything consultations need as of `now`; returns how many messages were queued."""
    config = container.engine.config
    version = config.privacy_notice_version
    today = now.astimezone(ZoneInfo(container.settings.timezone)).date()
    written = 0
    with transaction(container.sessions) as session:
        store.close_due(session, now)
        due = session.scalars(
            select(ConsultationRow).where(
                ConsultationRow.status == "scheduled", ConsultationRow.launch_at <= now
            )
        ).all()
        for row in due:
            consultation = Consultation.from_json(row.definition)
            audience_sql.invite(session, row.id, consultation.audience, today, now)
            invited = session.scalar(
                select(func.count()).where(ConsultationInvite.consultation_id == row.id)
            )
            session.execute(
                update(ConsultationRow)
                .where(ConsultationRow.id == row.id)
                .values(status="open", launched_at=now, recipients=invited, updated_at=now)
            )
    with transaction(container.sessions) as session:
        for row in store.open_consultations(session):
            consultation = Consultation.from_json(row.definition)
            first = consultation.first().id
            intro = messages_for(config, consultation, "intro")
            written += start_pending(session, row, first, intro, now, version)
            if row.launched_at is not None and consultation.reminders:
                remind = messages_for(config, consultation, "reminder")
                written += store.send_reminders(
                    session, row, row.launched_at, consultation.reminders, remind, now, version
                )
    return written
