"""The worker's loops, patient with a database that has gone away.

While the database is unreachable a worker must not spin: every round would open a
connection, fail and log a traceback ten times a second. Instead it logs the outage once,
waits 0.5 s, 1 s, 2 s, ... up to OUTAGE_MAX_WAIT between attempts, and says when the
database is back. Nothing is lost meanwhile: what is due stays in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError

from bot.dispatcher import Dispatcher
from storage import delivery
from storage.db import transaction

log = logging.getLogger(__name__)

OUTAGE_FIRST_WAIT = 0.5
OUTAGE_MAX_WAIT = 5.0
DATABASE_DOWN = (OperationalError, InterfaceError, DisconnectionError)


class OutageBackoff:
    """How long to wait after a failed round: doubling while the database stays down."""

    def __init__(
        self, name: str, first: float = OUTAGE_FIRST_WAIT, cap: float = OUTAGE_MAX_WAIT
    ) -> None:
        self.name = name
        self.first = first
        self.cap = cap
        self.wait = 0.0
        self.failures = 0

    def failed(self, error: BaseException) -> float:
        """Record a failed round; returns the seconds to wait before the next."""
        if self.failures == 0:
            # The error's class only: the message can carry connection details.
            log.warning(
                "%s: database unreachable (%s); backing off", self.name, type(error).__name__
            )
        self.failures += 1
        self.wait = min(self.cap, self.first if self.wait == 0 else self.wait * 2)
        return self.wait

    def succeeded(self) -> None:
        if self.failures:
            log.info(
                "%s: database reachable again after %d failed rounds", self.name, self.failures
            )
        self.failures, self.wait = 0, 0.0


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def dispatch_forever(
    dispatcher: Dispatcher, stop: asyncio.Event, idle_sleep: float = 0.25
) -> None:
    """Dispatcher rounds until `stop`: at once while busy, `idle_sleep` apart when idle."""
    outage = OutageBackoff("worker")

    def anything_due() -> bool:
        with transaction(dispatcher.sessions) as session:
            return delivery.anything_due(session, dispatcher.clock(), list(dispatcher.senders))

    sent = 0
    while not stop.is_set():
        try:
            # Idle, a worker only peeks; it claims (and locks the bucket) once rows are due.
            busy = sent > 0 or await asyncio.to_thread(anything_due)
            sent = await dispatcher.run_once() if busy else 0
            outage.succeeded()
        except DATABASE_DOWN as error:
            sent = 0
            await _pause(stop, outage.failed(error))
            continue
        except Exception:
            log.exception("dispatch round failed; retrying shortly")
            sent = 0
        if sent == 0:
            await _pause(stop, idle_sleep)


async def every(
    name: str, stop: asyncio.Event, seconds: float, job: Callable[[], Awaitable[object]]
) -> None:
    """Run `job` every `seconds` until `stop`, backing off while the database is down."""
    outage = OutageBackoff(name, first=seconds, cap=max(seconds, OUTAGE_MAX_WAIT))
    while not stop.is_set():
        try:
            await job()
            outage.succeeded()
            wait = seconds
        except DATABASE_DOWN as error:
            wait = outage.failed(error)
        except Exception:
            log.exception("%s failed", name)
            wait = seconds
        await _pause(stop, wait)
