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
from storage.leader import CLOCK_LOCK_KEY, AdvisoryLeader

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


def _schedule(
    scheduler: BaseScheduler, container: Container, pass_: Callable[[], object], first: bool
) -> None:
    interval = container.settings.clock_interval_seconds
    timing: dict[str, object] = (
        {"trigger": "cron", "minute": "*"}
        if interval == 60
        else {"trigger": "interval", "seconds": interval}
    )
    if first:  # a new leader catches up at once rather than at the next minute
        timing["next_run_time"] = datetime.now(ZoneInfo(container.settings.timezone))
    scheduler.add_job(
        pass_,
        **timing,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, interval - 10),
    )


def run_clock(container: Container) -> None:
    """Block: wait to lead (the advisory lock on PostgreSQL), then run a pass every minute.

    Several clocks may run: one leads, the others stand by and retry every
    CLOCK_STANDBY_RETRY_SECONDS. A leader that loses its lock's connection stops passing at
    once and stands by again; one that dies releases the lock with its connection.
    """
    settings = container.settings
    leader = AdvisoryLeader(
        container.database, CLOCK_LOCK_KEY, "clock", settings.clock_standby_retry_seconds
    )
    with leader:
        while leader.wait_to_lead():
            scheduler = BlockingScheduler(timezone=ZoneInfo(settings.timezone))

            def guarded_pass(scheduler: BaseScheduler = scheduler) -> None:
                if not leader.still_leading():
                    log.error("clock: lost the advisory lock; standing by again")
                    scheduler.shutdown(wait=False)
                    return
                written = run_pass(container, container.clock())
                if any(written.values()):
                    log.info("clock pass: %s", written)

            _schedule(scheduler, container, guarded_pass, first=True)
            scheduler.start()  # returns only once guarded_pass shut it down
            leader.release()


def start_background_clock(container: Container) -> BackgroundScheduler:
    """The same clock on a thread, for `serve`'s single process (no lock: it is the only one)."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo(container.settings.timezone))
    _schedule(scheduler, container, lambda: run_pass(container, container.clock()), first=False)
    scheduler.start()
    return scheduler
