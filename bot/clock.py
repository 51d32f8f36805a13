"""The clock: one pass a minute turns what is due into outbox rows.

APScheduler only decides when to look; what is due lives in our own rows and every job is
idempotent, so a missed minute loses nothing and a repeated pass sends nothing twice. Jobs
are added here as capabilities arrive (tips, reminders, launches, closes, retention).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.consent_clock import run_consent_pass
from bot.consultation_clock import run_consultation_pass
from bot.container import Container
from bot.events import run_event_pass
from bot.retention import run_retention_pass
from bot.tips import run_tip_pass
from storage import erasure
from storage.db import transaction

log = logging.getLogger(__name__)

Job = Callable[[Container, datetime], int]


def run_erasure_pass(container: Container, now: datetime) -> int:
    """Finish DELETE erasures whose goodbye the dispatcher did not see through (a backstop)."""
    with transaction(container.sessions) as session:
        return erasure.finish(session, now)


JOBS: dict[str, Job] = {
    "consent": run_consent_pass,
    "tips": run_tip_pass,
    "consultations": run_consultation_pass,
    "events": run_event_pass,
    "erasures": run_erasure_pass,
    "retention": run_retention_pass,
}


def run_pass(container: Container, now: datetime) -> dict[str, int]:
    """Run every job once as of `now`; returns how many rows each one wrote."""
    written: dict[str, int] = {}
    for name, job in JOBS.items():
        try:
            written[name] = job(container, now)
        except Exception:
            log.exception("clock job %s failed; the next pass tries again", name)
            written[name] = 0
    return written


def _schedule(scheduler: BaseScheduler, container: Container) -> None:
    scheduler.add_job(
        lambda: run_pass(container, container.clock()),
        "cron",
        minute="*",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=50,
    )


def run_clock(container: Container) -> None:
    """Block, running a pass at the start of every minute in the configured timezone."""
    scheduler = BlockingScheduler(timezone=ZoneInfo(container.settings.timezone))
    _schedule(scheduler, container)
    log.info("clock started")
    scheduler.start()


def start_background_clock(container: Container) -> BackgroundScheduler:
    """The same clock on a thread, for `serve`'s single process."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo(container.settings.timezone))
    _schedule(scheduler, container)
    scheduler.start()
    return scheduler
