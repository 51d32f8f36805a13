"""The composition root: builds every service once from the settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Engine as Database
from sqlalchemy.orm import Session, sessionmaker

from bot.content_files import read_rows
from bot.inbound import InboundService, utcnow
from bot.settings import PROJECT_ROOT, ConfigError, Settings
from conversations.content.library import Tip
from conversations.content.validate import parse_rows
from conversations.engine import Engine
from storage import communities, tips
from storage.db import make_engine, session_factory, transaction, upgrade

SHIPPED_TIPS = PROJECT_ROOT / "conversations" / "content" / "tips.csv"


@dataclass
class Container:
    settings: Settings
    database: Database
    sessions: sessionmaker[Session]
    engine: Engine
    inbound: InboundService
    clock: Callable[[], datetime]
    secret_key: str  # session cookies and pseudonym keys

    def close(self) -> None:
        self.database.dispose()


def build(settings: Settings | None = None, clock: Callable[[], datetime] = utcnow) -> Container:
    settings = settings or Settings()
    database = make_engine(settings.database_url, pool_size=settings.database_pool_size)
    sessions = session_factory(database)
    engine = Engine(settings.engine_config())
    return Container(
        settings=settings,
        database=database,
        sessions=sessions,
        engine=engine,
        inbound=InboundService(sessions, engine, clock, settings.timezone),
        clock=clock,
        secret_key=settings.resolved_secret_key(),
    )


@contextmanager
def running(settings: Settings | None = None) -> Iterator[Container]:
    """A prepared container for one command, closed (pool and all) when the command ends."""
    container = build(settings)
    try:
        prepare_database(container)
        yield container
    finally:
        container.close()


def prepare_database(container: Container) -> None:
    """Migrate to the latest schema and load the configured communities."""
    upgrade(container.settings.database_url)
    with transaction(container.sessions) as session:
        communities.sync(session, container.engine.config.communities)
        if tips.library_is_empty(session):
            tips.replace_library(session, shipped_library(), container.clock())
    reload_tips(container)


def reload_tips(container: Container) -> None:
    """Give the engine the tip library as stored (after an import, say)."""
    with transaction(container.sessions) as session:
        library = tips.load_library(session)
    container.engine.config = replace(container.engine.config, tips=library)


def shipped_library() -> list[Tip]:
    """The tip library that ships with the project (conversations/content/tips.csv)."""
    rows = read_rows(SHIPPED_TIPS)
    parsed, errors = parse_rows(rows)
    if errors:
        raise ConfigError(f"{SHIPPED_TIPS}: {errors[0]}")
    return parsed
