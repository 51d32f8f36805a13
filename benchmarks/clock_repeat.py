"""The tip pass again and again on one seeded database: for comparing two versions of the code.

    .venv/bin/python benchmarks/clock_repeat.py --seed 1000000 --database-url URL
    [PYTHONPATH=<other checkout>] .venv/bin/python benchmarks/clock_repeat.py --database-url URL

`--seed N` seeds about N children (20,000 households due, as `clock_pass.py --due 20000`) and
saves every household's slot. Without it, each run puts the database back (deletes the outbox
and deliveries, restores the slots, VACUUM ANALYZE) and times one pass at Tuesday 10:00, with
the CPU it used here and in PostgreSQL. Seeding 1M children once instead of per run makes
alternating old and new code cheap (PYTHONPATH picks the packages: an export of an older
commit), so both are measured under the same load. The index that migration 0008 dropped is
put back when the code being run predates it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clock_pass import timed_pass
from households import TUESDAY, fresh_container, populate

from bot.container import build, reload_tips
from bot.settings import Settings


def _settings(url: str) -> Settings:
    return Settings(database_url=url, secret_key="bench-not-secret", _env_file=None)  # type: ignore[call-arg]


def seed(url: str, children: int, due: int) -> None:
    container = fresh_container(url)
    print(f"children: {populate(container, int(children / 1.3), due):,}")
    with container.database.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS bench_saved_slots"))
        connection.execute(
            text("CREATE TABLE bench_saved_slots AS SELECT id, next_tip_at FROM contacts")
        )
    container.close()


def reset(url: str) -> None:
    """As seeded: no tips sent, every slot as it was, fresh statistics."""
    container = build(_settings(url))
    versions = Path(sys.modules["storage"].__file__ or "").parent / "migrations" / "versions"
    dropped = any(versions.glob("0008_*.py"))
    with container.database.begin() as connection:
        connection.execute(text("DELETE FROM outbox"))
        connection.execute(text("DELETE FROM tip_deliveries"))
        connection.execute(
            text(
                "UPDATE contacts c SET next_tip_at = s.next_tip_at FROM bench_saved_slots s"
                " WHERE s.id = c.id AND c.next_tip_at IS DISTINCT FROM s.next_tip_at"
            )
        )
        index = "ix_tip_deliveries_contact_id"
        connection.execute(
            text(f"DROP INDEX IF EXISTS {index}")
            if dropped
            else text(f"CREATE INDEX IF NOT EXISTS {index} ON tip_deliveries (contact_id)")
        )
    with container.database.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT")
        connection.execute(text("VACUUM ANALYZE outbox, tip_deliveries, contacts"))
    container.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True, help="PostgreSQL; dropped if seeding")
    parser.add_argument("--seed", type=int, default=None, help="seed about this many children")
    parser.add_argument("--due", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    if args.seed:
        seed(args.database_url, args.seed, args.due)
        return
    for _ in range(args.runs):
        reset(args.database_url)
        container = build(_settings(args.database_url))
        reload_tips(container)
        load = os.getloadavg()[0]
        written, took, used = timed_pass(container, TUESDAY)
        container.close()
        root = Path(sys.modules["bot"].__file__ or "").parent.parent
        print(
            f"{root}: tip pass {took * 1000:.0f} ms for {written:,} messages; {used}; "
            f"load average {load:.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
