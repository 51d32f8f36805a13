"""How long the clock's tip pass takes, and whether it grows with due tips or with children.

    .venv/bin/python benchmarks/clock_pass.py [--children 20000] [--database-url URL]

Builds households with a realistic spread of ages (pregnancy to five; 1 in 7 have Tuesday as
their tip day, as if days were spread evenly), then times one pass at Tuesday 10:00, when about
a seventh of households are due, and one a minute later, when none are. The baseline,
measured in the same run, is one full scan of the children table (SELECT count(*) … GROUP BY).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text

from bot.container import Container, build, prepare_database
from bot.settings import Settings
from bot.tips import run_tip_pass
from conversations.slots import next_slot
from storage.db import transaction
from storage.models import Base, Child, Contact, ContactIdentity

TUESDAY = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def populate(container: Container, households: int) -> int:
    rng = random.Random(7)
    today = TUESDAY.date()
    contacts, identities, children = [], [], []
    for n in range(1, households + 1):
        weekday = rng.randrange(7)
        contacts.append(
            {
                "id": n,
                "code": f"B{n:07d}",
                "community_id": "feltham",
                "language": "en",
                "status": "active",
                "consent_version": "2026-11",
                "is_simulated": False,
                "created_at": TUESDAY,
                "updated_at": TUESDAY,
                "tip_weekday": weekday,
                "tip_time": "10:00",
                "next_tip_at": next_slot(
                    TUESDAY - timedelta(minutes=1), weekday, "10:00", "Europe/London"
                ),
            }
        )
        identities.append(
            {
                "id": n,
                "contact_id": n,
                "channel": "sms",
                "address": f"+4477009{n:05d}",
                "reachable": True,
                "created_at": TUESDAY,
            }
        )
        for _ in range(1 + (rng.random() < 0.3)):
            age = rng.randrange(-200, 5 * 365)
            born = today - timedelta(days=age) if age >= 0 else None
            due = today - timedelta(days=age) if age < 0 else None
            children.append(
                {
                    "contact_id": n,
                    "birth_date": born,
                    "due_date": due,
                    "birth_checks": 0,
                    "created_at": TUESDAY,
                    "updated_at": TUESDAY,
                }
            )
    with transaction(container.sessions) as session:
        session.execute(insert(Contact), contacts)
        session.execute(insert(ContactIdentity), identities)
        session.execute(insert(Child), children)
    return len(children)


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


def timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=20000, help="about this many children")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    container = fresh_container(args.database_url)
    children = populate(container, int(args.children / 1.3))

    def baseline() -> None:
        with transaction(container.sessions) as session:
            session.execute(select(Child.contact_id, func.count()).group_by(Child.contact_id)).all()

    base = timed(baseline)
    written: list[int] = []
    busy = timed(lambda: written.append(run_tip_pass(container, TUESDAY)))
    quiet = timed(lambda: written.append(run_tip_pass(container, TUESDAY + timedelta(minutes=1))))
    engine = container.database.dialect.name
    print(f"database: {engine}; children: {children}")
    print(f"baseline full scan of children: {base * 1000:.0f} ms")
    print(
        f"tip pass, Tuesday 10:00: {busy * 1000:.0f} ms for {written[0]} messages "
        f"({busy / base:.1f}x the scan)"
    )
    print(
        f"tip pass, Tuesday 10:01 (nothing due): {quiet * 1000:.0f} ms for {written[1]} messages "
        f"({quiet / base:.2f}x the scan)"
    )
    container.close()


if __name__ == "__main__":
    main()
