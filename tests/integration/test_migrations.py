"""The Alembic migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.container import Container
from storage.models import Base


def test_migrations_match_the_models(container: Container) -> None:
    with container.database.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_every_table_exists_after_upgrade(container: Container) -> None:
    tables = set(inspect(container.database).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(container: Container) -> None:
    if container.database.dialect.name != "sqlite":
        return
    with container.database.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
