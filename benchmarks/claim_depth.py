"""How long one worker's claim of a batch takes as the queue behind it grows.

    .venv/bin/python benchmarks/claim_depth.py [--depths 3000,100000] [--batch 500]
        [--database-url URL]

A broadcast to a few hundred thousand families leaves that many rows queued, and every claim
of a batch reads the outbox. For each depth the outbox is seeded with that many due messages
(benchmarks/dispatch.py's mix: most to Telegram, each to its own chat) and `claim_due` takes
`--batch` Telegram rows, by day and in quiet hours (replies only), rolled back each time so
every claim sees the same queue; the median of seven is printed. The baseline, on the same
data in the same run, is the same claim without `ix_outbox_claim` (dropped, then analysed):
the claim as it was before that index, which sorted every due row to take the first few.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.dispatch import NOW, fresh, plan, populate  # noqa: E402
from storage.db import transaction  # noqa: E402
from storage.delivery import claim_due  # noqa: E402

RUNS = 7


def timed(container, batch: int, quiet: bool) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Median milliseconds of one claim, and how many rows it took."""
    took, claimed = [], 0
    for _ in range(RUNS):
        with transaction(container.sessions) as session:
            started = time.perf_counter()
            rows = claim_due(
                session, NOW + timedelta(hours=1), timedelta(minutes=5), batch, ["telegram"], quiet
            )
            took.append((time.perf_counter() - started) * 1000)
            claimed = len(rows)
            session.rollback()
    return statistics.median(took), claimed


def analyse(container) -> None:  # type: ignore[no-untyped-def]
    with container.database.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--depths", default="3000,100000")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    for depth in [int(n) for n in args.depths.split(",")]:
        container = fresh(args.database_url)
        populate(container, plan(depth, 0.3))
        analyse(container)
        name = container.database.dialect.name
        figures = {quiet: timed(container, args.batch, quiet) for quiet in (False, True)}
        with container.database.begin() as connection:
            connection.execute(text("DROP INDEX ix_outbox_claim"))
        analyse(container)
        before = {quiet: timed(container, args.batch, quiet) for quiet in (False, True)}
        for quiet in (False, True):
            (ms, rows), (base, _) = figures[quiet], before[quiet]
            when = "quiet hours, replies only" if quiet else "by day"
            print(
                f"{name}, {depth:,} queued, {when}: claim of {rows} in {ms:.1f} ms; without "
                f"ix_outbox_claim {base:.1f} ms ({base / ms:.1f}x)"
            )
        container.close()


if __name__ == "__main__":
    main()
