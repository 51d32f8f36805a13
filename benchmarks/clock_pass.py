"""How long the clock's tip pass takes, and whether it grows with due tips or with children.

    .venv/bin/python benchmarks/clock_pass.py [--children 100000] [--due N] [--scaling]
        [--baseline-households 2000] [--database-url URL]

Seeds households set-based (ages pregnancy to five, 1.3 children each; see households.py),
then times one pass at Tuesday 10:00 and one a minute later, when nothing is due. Without
--due every household has a 10:00 slot on a day spread over the week (a seventh are due);
with --due N exactly N households are due and the rest have other days and times.

The baseline, in the same run and rolled back, is the naive per-household loop: each due
household's children, each child's tip, a query to check it was not sent, one ORM row each.
It runs over --baseline-households households and is scaled to the pass's count.

--scaling repeats the pass on fresh databases: a quarter, half and all the children with the
same number due, then all the children with twice and four times as many due.

On a shared, loaded machine the wall time mostly measures the queue for a core, so each pass
also reports the CPU it used: this process's, and (PostgreSQL on this machine) that of the
database's backends, read from /proc (parallel query workers, which exit, are not counted).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import exists, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from households import TUESDAY, fresh_container, populate

from bot.container import Container
from bot.tips import run_tip_pass
from conversations.content.library import tip_for
from conversations.flows.tips import tip_message
from conversations.slots import local_week, next_slot
from conversations.types import Child as ChildView
from storage.models import Child, Contact, ContactIdentity, TipDelivery
from storage.outbox import enqueue

GOAL_SECONDS = 5.0  # issue 9: 1M children, about 20,000 households due

__all__ = ["TUESDAY", "fresh_container", "populate"]  # other benchmarks import these from here


def naive_pass(container: Container, now: datetime, limit: int) -> tuple[int, int]:
    """The obvious loop over due households, rolled back; returns (households, messages)."""
    library = container.engine.config.tips
    today, week = now.date(), local_week(now.date())
    session = container.sessions()
    session.begin()
    households = session.scalars(
        select(Contact).where(Contact.next_tip_at <= now, Contact.status == "active").limit(limit)
    ).all()
    messages = 0
    for household in households:
        household.next_tip_at = next_slot(
            now, household.tip_weekday, household.tip_time, "Europe/London"
        )
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == household.id).limit(1)
        ).first()
        items = []
        for child in session.scalars(select(Child).where(Child.contact_id == household.id)):
            tip = tip_for(library, today, child.birth_date, child.due_date)
            sent = tip is not None and session.scalar(
                select(
                    exists().where(TipDelivery.child_id == child.id, TipDelivery.tip_id == tip.id)
                )
            )
            if tip is not None and not sent:
                view = ChildView(child.id, child.nickname, child.birth_date, child.due_date)
                items.append((view, tip))
        if items and identity is not None:
            key = f"tip:{household.id}:{week}:" + ",".join(t.id for _, t in items)
            for view, tip in items:
                session.add(
                    TipDelivery(
                        contact_id=household.id,
                        child_id=view.id,
                        tip_id=tip.id,
                        message_key=key[:64],
                        local_week=week,
                        sent_at=now,
                    )
                )
            enqueue(session, household.id, identity, tip_message("en", items), now, key[:64])
            messages += 1
    session.flush()
    session.rollback()
    session.close()
    return len(households), messages


def backend_cpu(container: Container) -> float | None:
    """CPU seconds this database's PostgreSQL backends have used (None: not local PostgreSQL)."""
    if container.database.dialect.name != "postgresql":
        return None
    query = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    with container.database.connect() as connection:
        pids = connection.execute(query).scalars().all()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        ticks += int(fields[11]) + int(fields[12])  # utime and stime
    return ticks / os.sysconf("SC_CLK_TCK")


def timed_pass(container: Container, now: datetime) -> tuple[int, float, str]:
    """One pass: (messages, wall seconds, the CPU it used as text)."""
    server = backend_cpu(container)
    cpu, started = time.process_time(), time.perf_counter()
    written = run_tip_pass(container, now)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = backend_cpu(container)
    used = f"CPU {cpu:.2f} s here"
    if server is not None and after is not None:
        used += f" + {after - server:.2f} s PostgreSQL"
    return written, took, used


def one_pass(url: str | None, households: int, due: int | None) -> tuple[int, int, float, str]:
    """A fresh database; (children, messages, seconds, CPU) of one pass at Tuesday 10:00."""
    container = fresh_container(url)
    children = populate(container, households, due)
    written, took, used = timed_pass(container, TUESDAY)
    container.close()
    return children, written, took, used


def scaling(url: str | None, households: int, due: int) -> None:
    print(f"scaling (fresh database each; {due} households due unless said):")
    runs = [(households // 4, due), (households // 2, due), (households, due)]
    runs += [(households, due * 2), (households, due * 4)]
    for size, due_now in runs:
        children, written, took, used = one_pass(url, size, due_now)
        print(
            f"  {children:>9,} children, {due_now:>7,} households due: {took * 1000:7.0f} ms "
            f"for {written:,} messages ({took / max(written, 1) * 1e6:.1f} µs per message; "
            f"{used}; load {os.getloadavg()[0]:.1f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=100_000, help="about this many children")
    parser.add_argument("--due", type=int, default=None, help="households due (default: 1/7)")
    parser.add_argument("--baseline-households", type=int, default=2000)
    parser.add_argument("--scaling", action="store_true", help="also the growth runs")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    households = int(args.children / 1.3)
    started = time.perf_counter()
    container = fresh_container(args.database_url)
    children = populate(container, households, args.due)
    seeded = time.perf_counter() - started

    started = time.perf_counter()
    looked, naive_messages = naive_pass(container, TUESDAY, args.baseline_households)
    naive = time.perf_counter() - started
    per_household = naive / max(looked, 1)

    with container.sessions() as session:
        due_households = session.scalar(
            select(func.count()).select_from(Contact).where(Contact.next_tip_at <= TUESDAY)
        )
    written: list[int] = []
    busy_load = os.getloadavg()[0]
    messages, busy, used = timed_pass(container, TUESDAY)
    written.append(messages)
    with container.sessions() as session:
        served = session.scalar(select(Contact.id).where(Contact.next_tip_at <= TUESDAY).limit(1))
    assert served is None, "a due household was left unserved"
    started = time.perf_counter()
    written.append(run_tip_pass(container, TUESDAY + timedelta(minutes=1)))
    quiet = time.perf_counter() - started
    container.close()

    dialect = container.database.dialect.name
    print(f"database: {dialect}; children: {children:,}; households due: {due_households:,}")
    print(f"seeding: {seeded:.1f} s")
    print(
        f"baseline, naive per-household loop (rolled back): {per_household * 1e6:.0f} µs per "
        f"household ({looked} households, {naive_messages} messages in {naive * 1000:.0f} ms)"
    )
    estimate = per_household * (due_households or 0)
    print(
        f"tip pass, Tuesday 10:00: {busy * 1000:.0f} ms for {written[0]:,} messages "
        f"(baseline scaled to the due households: {estimate:.1f} s, {estimate / busy:.1f}x slower; "
        f"{used}; load average {busy_load:.1f})"
    )
    print(f"tip pass, Tuesday 10:01 (nothing due): {quiet * 1000:.0f} ms, {written[1]} messages")
    verdict = "met" if busy < GOAL_SECONDS else "missed"
    print(f"goal: the 10:00 pass under {GOAL_SECONDS:.0f} s (PostgreSQL, 1M children): {verdict}")
    if args.scaling:
        scaling(args.database_url, households, args.due or max(households // 50, 1))


if __name__ == "__main__":
    main()
