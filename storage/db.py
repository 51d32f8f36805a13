"""Engines and sessions: SQLite in WAL mode with foreign keys, or PostgreSQL via psycopg 3."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WRITER_WAIT_SECONDS = 30  # as SQLite's busy_timeout
_HOLDS_WRITER = "holds_sqlite_writer_lock"
_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A failed statement's error must not quote its values (numbers, message texts) into a log.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (below) instead of pysqlite's lazy, deferred one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite has one writer. Threads of this process queue for it on a lock, handed over the
    # moment a transaction ends; left to SQLite, each waiter polls with growing sleeps (up to
    # 100 ms), which under 16 concurrent webhooks cost seconds at p99. Other processes still
    # wait in SQLite's busy handler (busy_timeout above).
    writer = _WRITERS[engine] = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # After the timeout carry on regardless: SQLite's own wait then reports "locked".
        connection.info[_HOLDS_WRITER] = writer.acquire(timeout=WRITER_WAIT_SECONDS)
        try:
            # IMMEDIATE takes the write lock up front, so two writers queue, not deadlock.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(connection.info, writer)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: Any) -> None:
        _release(connection.info, writer)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _release(record.info, writer)  # a connection returned mid-transaction


def sqlite_writer(engine: Engine) -> threading.Lock | None:
    """The lock this process's SQLite writers queue on (None for other databases)."""
    return _WRITERS.get(engine)


def _release(info: dict[str, Any], writer: threading.Lock) -> None:
    if info.pop(_HOLDS_WRITER, False):
        writer.release()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str) -> None:
    """Apply every migration to the database at `url`."""
    command.upgrade(alembic_config(url), "head")


def is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
