"""The clock's consultation pass: launch what is due, fan it out, ask who is free, remind, close.

Each step is idempotent through the invite's status and reminder count, the fan-out's
cursor, and the outbox's unique dedupe keys, so a repeated or concurrent pass never sends
anything twice.
"""

from __future__ import annotations

import time
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from bot.consultations import messages_for
from conversations.consultations.model import Consultation
from storage import consultation_audience as audience_sql
from storage import consultation_fanout as fanout
from storage import consultations as store
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_start import start_pending
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


def run_consultation_pass(container: Container, now: datetime) -> int:
    """Everything consultations need as of `now`; returns how many messages were queued."""
    launch_due(container, now)
    written = fan_out(container, now, container.settings.consultation_fanout_seconds)
    return written + ask_and_remind(container, now)


def launch_due(
    container: Container, now: datetime, counted: dict[str, int] | None = None
) -> list[str]:
    """Open every consultation whose launch time has come, with its audience counted (or
    as `counted` by the launch's plan); the invitations follow in chunks (`fan_out`).
    Returns the ids this pass opened."""
    opened: list[str] = []
    with transaction(container.sessions) as session:
        store.close_due(session, now)
        due = session.scalars(
            select(ConsultationRow).where(
                ConsultationRow.status == "scheduled", ConsultationRow.launch_at <= now
            )
        ).all()
        for row in due:
            recipients = (counted or {}).get(row.id)
            if recipients is None:
                audience = Consultation.from_json(row.definition).audience
                recipients = audience_sql.audience_size(session, audience, _day(container, now))
            if fanout.open_scheduled(session, row.id, recipients, now):
                opened.append(row.id)
    return opened


def fan_out(
    container: Container,
    now: datetime,
    seconds: float,
    only: str | None = None,
    chunks: int | None = None,
) -> int:
    """Invite and ask launched consultations' audiences chunk after chunk, until done, out of
    `seconds` or after `chunks` chunks; returns how many messages were queued."""
    deadline = time.monotonic() + seconds
    with transaction(container.sessions) as session:
        pending = [cid for cid in fanout.fanning_out(session) if only in (None, cid)]
    written = taken = 0
    for cid in pending:
        while time.monotonic() < deadline and (chunks is None or taken < chunks):
            queued = fan_out_chunk(container, cid, now)
            if queued is None:
                break
            written, taken = written + queued, taken + 1
    return written


def fan_out_chunk(container: Container, cid: str, now: datetime) -> int | None:
    """One chunk in one transaction: invite the next contacts of the audience and ask those
    who are free. None once there is nothing left (or another pass is doing it)."""
    config = container.engine.config
    size = container.settings.consultation_fanout_chunk
    with transaction(container.sessions) as session:
        taken = fanout.take_chunk(session, cid, size)
        if taken is None:
            return None
        row, span = taken
        if session.get_bind().dialect.name == "postgresql":
            # Every table a chunk reads is read over its span of contact ids, but PostgreSQL
            # multiplies the selectivities of the span and the status into a row or two and
            # picks nested loops that compare every row with every other (seconds a chunk).
            # Hash and merge joins over a few thousand rows each are what a chunk needs.
            session.execute(text("SET LOCAL enable_nestloop = off"))
        consultation = Consultation.from_json(row.definition)
        launched = row.launched_at or now
        # Ages are as of the launch day, whichever day a chunk runs.
        day = _day(container, launched)
        audience_sql.invite(session, row.id, consultation.audience, day, now, span=span)
        intro = messages_for(config, consultation, "intro")
        first = consultation.first().id
        version = config.privacy_notice_version
        return start_pending(session, row, first, intro, now, version, span)


def ask_and_remind(container: Container, now: datetime) -> int:
    """Ask the invitees who have become free, and send the reminders that are due."""
    config = container.engine.config
    version = config.privacy_notice_version
    written = 0
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


def _day(container: Container, at: datetime) -> date:
    return at.astimezone(ZoneInfo(container.settings.timezone)).date()
