"""SQLite writers in one process queue on a lock that every way out of a transaction frees."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import make_engine, session_factory, sqlite_writer, transaction


def _engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE counter (n INTEGER)"))
        connection.execute(text("INSERT INTO counter VALUES (0)"))
    return engine


def test_the_writer_lock_is_freed_by_commit_rollback_error_and_close(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    writer = sqlite_writer(engine)
    assert writer is not None and not writer.locked()
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        assert writer.locked()  # held while the transaction is open
    assert not writer.locked()
    with pytest.raises(RuntimeError), transaction(sessions) as session:
        session.execute(text("UPDATE counter SET n = n + 1"))
        raise RuntimeError("a bug")
    assert not writer.locked()
    connection = engine.connect()
    connection.execute(text("SELECT n FROM counter"))  # autobegins
    assert writer.locked()
    connection.close()  # returned to the pool mid-transaction
    assert not writer.locked()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 1
    engine.dispose()


def test_concurrent_writers_in_one_process_all_get_their_turn(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    sessions = session_factory(engine)
    errors: list[BaseException] = []

    def add(times: int) -> None:
        try:
            for _ in range(times):
                with transaction(sessions) as session:
                    session.execute(text("UPDATE counter SET n = n + 1"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=add, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT n FROM counter")).scalar() == 200
    assert not sqlite_writer(engine).locked()  # type: ignore[union-attr]
    engine.dispose()


def test_postgresql_has_no_process_lock() -> None:
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert sqlite_writer(engine) is None
