"""One leader among several processes: a PostgreSQL session-level advisory lock.

The lock lives as long as the connection that took it, so a leader that dies (even by
SIGKILL) lets a standby in as soon as PostgreSQL notices the closed socket. SQLite runs one
process, so there every process leads at once and no lock is taken.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from types import TracebackType

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# The clock's lock: key 4993440181147100011 (0x454C43636C6F636B, "ELCclock" in ASCII). Who
# holds it: SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 1819239275.
CLOCK_LOCK_KEY = 0x454C43636C6F636B


class AdvisoryLeader:
    """Hold `key` on a dedicated connection; `wait_to_lead` blocks until this process leads."""

    def __init__(self, engine: Engine, key: int, name: str, retry_seconds: float = 5.0) -> None:
        self.engine = engine
        self.key = key
        self.name = name
        self.retry_seconds = retry_seconds
        self.connection: Connection | None = None
        self.stop = threading.Event()

    @property
    def needs_lock(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_lead(self) -> bool:
        """One attempt; True when this process now holds the lock (always on SQLite)."""
        if not self.needs_lock:
            return True
        try:
            if self.connection is None:
                # Autocommit: the lock is session-level, and no transaction stays open.
                self.connection = self.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT"
                )
            taken = self.connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            )
        except DBAPIError as error:
            log.warning("%s: cannot reach the database (%s)", self.name, type(error.orig).__name__)
            self._drop()
            return False
        return bool(taken)

    def wait_to_lead(self) -> bool:
        """Retry every `retry_seconds` until leading (True) or `stop` is set (False)."""
        announced = False
        while not self.stop.is_set():
            if self.try_lead():
                if self.needs_lock:
                    log.info("%s: leading (advisory lock %#x)", self.name, self.key)
                else:
                    log.info("%s: leading (SQLite: one process, no lock needed)", self.name)
                return True
            if not announced:
                log.info("%s: another process leads; standing by", self.name)
                announced = True
            self.stop.wait(self.retry_seconds)
        return False

    def still_leading(self) -> bool:
        """False once the lock's connection is gone (the lock with it): stop acting at once."""
        if not self.needs_lock:
            return True
        if self.connection is None:
            return False
        try:
            held = self.connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted"
                    " AND ((classid::bigint << 32) | objid::bigint) = :key"
                ),
                {"key": self.key},
            )
        except DBAPIError:
            self._drop()
            return False
        return bool(held)

    def release(self) -> None:
        """Unlock, then drop the connection: a standby may lead as soon as this returns."""
        if self.connection is not None and self.needs_lock:
            # Closing the socket alone frees the lock only when the server's backend has
            # exited, a moment later; a standby trying in that moment would be refused.
            # If the connection is already gone, the lock went with it.
            with contextlib.suppress(DBAPIError):
                # All: each try_lead while leading took the (re-entrant) lock once more.
                self.connection.scalar(text("SELECT pg_advisory_unlock_all()"))
        self._drop()

    def _drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            # Invalidate, not close: a pooled connection would keep the session, and the lock.
            connection.invalidate()
            connection.close()

    def __enter__(self) -> AdvisoryLeader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
