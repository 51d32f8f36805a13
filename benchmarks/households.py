"""Shared by the benchmarks: a fresh migrated database, and households seeded set-based.

Seeding is a few INSERT … SELECT statements over a generated series of numbers (PostgreSQL's
generate_series, SQLite's recursive CTE), so a million children take seconds, not minutes.
Spreads come from multiplicative hashes of the row number: the same every run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    String,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.sql.selectable import Subquery

from bot.container import Container, build, prepare_database
from bot.settings import Settings
from conversations.slots import next_slot
from storage.base import UTCDateTime
from storage.db import transaction
from storage.models import Base, Child, Contact, ContactIdentity

TUESDAY = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
# Tip times a parent may pick, 10:00 left out: a pass at Tuesday 10:00 serves only the
# households seeded due (see `populate`), whatever the number of children.
OTHER_TIMES = ("07:00", "08:00", "09:00", "12:00", "13:00", "18:00", "19:00", "20:00")


def fresh_container(url: str | None, clock: Callable[[], datetime] | None = None) -> Container:
    """A migrated, empty database: a new SQLite file, or `url` with every table dropped first."""
    url = url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    settings = Settings(database_url=url, secret_key="bench-not-secret", _env_file=None)  # type: ignore[call-arg]
    container = build(settings, clock=clock) if clock else build(settings)
    if url.startswith("postgresql"):
        with container.database.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    prepare_database(container)
    return container


def numbers(container: Container, count: int) -> Subquery:
    """A one-column table `n` of 1..count."""
    if container.database.dialect.name == "postgresql":
        return select(
            func.generate_series(1, count).table_valued("n").render_derived().c.n
        ).subquery("numbers")
    series = select(literal(1).label("n")).cte("series", recursive=True)
    series = series.union_all(select(series.c.n + 1).where(series.c.n < count))
    return select(series.c.n).subquery("numbers")


def spread(n: Any, modulus: int, salt: int = 2654435761) -> ColumnElement[int]:
    """A well-mixed 0..modulus-1 from the row number (Knuth's multiplicative hash)."""
    # .op("/"): integer division on both engines (SQLAlchemy's / would cast to NUMERIC).
    # BIGINT: a small salt times a row number past 53,000 overflows PostgreSQL's INTEGER.
    mixed = ((cast(n, BigInteger) * literal_column(str(salt))) % literal_column("4294967296")).op(
        "/"
    )(literal_column("65536"))
    return mixed % modulus  # type: ignore[no-any-return]


def days_before(container: Container, day: date, days: Any) -> ColumnElement[Any]:
    if container.database.dialect.name == "postgresql":
        return literal(day, Date) - cast(days, Integer)  # type: ignore[no-any-return]
    return func.date(literal(day.isoformat()), cast(-days, String) + literal(" days"))


def populate(container: Container, households: int, due: int | None = None) -> int:
    """`households` Feltham households, 1.3 children each (ages from -200 days, expected, to
    five years), returns the number of children.

    With `due`, households 1..due have Tuesday 10:00 as their slot and the rest other times
    spread over the week; without it every household picks 10:00 on a day spread over the
    week, so about a seventh are due at Tuesday 10:00.
    """
    version = container.engine.config.privacy_notice_version
    series = numbers(container, households)
    n = series.c.n
    if due is None:
        weekday: Any = spread(n, 7)
        at: Any = literal("10:00")
    else:
        weekday = case((n <= due, 1), else_=spread(n, 7))
        at = case(
            (n <= due, "10:00"),
            *((spread(n, 8, 40503) == k, t) for k, t in enumerate(OTHER_TIMES)),
        )
    # next_tip_at as the app would have set it a minute before Tuesday 10:00.
    before = TUESDAY - timedelta(minutes=1)
    next_at = case(
        *(
            (
                (weekday == w) & (at == t),
                literal(next_slot(before, w, t, "Europe/London"), UTCDateTime()),
            )
            for w in range(7)
            for t in ("10:00", *OTHER_TIMES)
        ),
    )
    stamp = literal(TUESDAY, UTCDateTime())
    with transaction(container.sessions) as session:
        session.execute(
            insert(Contact).from_select(
                [
                    "id",
                    "code",
                    "community_id",
                    "language",
                    "status",
                    "consent_version",
                    "is_simulated",
                    "created_at",
                    "updated_at",
                    "tip_weekday",
                    "tip_time",
                    "next_tip_at",
                ],
                select(
                    n,
                    literal("B") + cast(n, String),
                    literal("feltham"),
                    literal("en"),
                    literal("active"),
                    literal(version),
                    false(),
                    stamp,
                    stamp,
                    weekday,
                    at,
                    next_at,
                ),
            )
        )
        session.execute(
            insert(ContactIdentity).from_select(
                ["id", "contact_id", "channel", "address", "reachable", "created_at"],
                select(
                    Contact.id,
                    Contact.id,
                    literal("telegram"),  # obviously fake ids: no real-looking numbers
                    literal("bench-") + cast(Contact.id, String),
                    literal(True),
                    stamp,
                ),
            )
        )
        today = TUESDAY.date()
        for which, share in ((0, 10), (1, 3)):  # every household one child, three in ten two
            age = spread(Contact.id, 2025, 2246822519 + which) - 200
            session.execute(
                insert(Child).from_select(
                    [
                        "contact_id",
                        "birth_date",
                        "due_date",
                        "birth_checks",
                        "created_at",
                        "updated_at",
                    ],
                    select(
                        Contact.id,
                        case((age >= 0, days_before(container, today, age))),
                        case((age < 0, days_before(container, today, age))),
                        literal(0),
                        stamp,
                        stamp,
                    ).where(spread(Contact.id, 10, 3266489917) < share),
                )
            )
        children = session.scalar(select(func.count()).select_from(Child))
    analyze(container)
    return int(children or 0)


def analyze(container: Container) -> None:
    """Fresh planner statistics, as autovacuum would give a long-running database."""
    with container.database.connect() as connection:
        if container.database.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
