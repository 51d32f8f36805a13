"""How long launching a consultation takes as its author waits, how long until every message
is queued, and both against writing the same rows row by row or by plain statements.

    .venv/bin/python benchmarks/consultation_launch.py [--recipients 100000]
        [--baseline-recipients 5000] [--scaling] [--explain MS] [--database-url URL]

Seeds the same households as `clock_pass.py` (one community, ages pregnancy to five; about
93% have a child of 0-60 months, so households are sized to give --recipients), then
launches the play-park consultation to every household with a child aged 0-60 months. The
launch (what its author waits for, the goal) is the plan (counting the audience), opening
the consultation, and its first fan-out chunk (CONSULTATION_FANOUT_CHUNK contacts: their
invites, conversations, intro and first question); the rest is then fanned out chunk after
chunk as the launch's thread does, timed until every message is queued, and its rate is
compared with Telegram's ceiling of 1,000 messages a second. The baseline, in
the same run and rolled back, writes the same outbox rows the obvious way: select the
audience, then add one ORM row per message; it runs over the first --baseline-recipients
and is scaled to the launch's count (0 skips it).

--scaling launches at a fifth, half and all of --recipients, each on a freshly seeded
database, and prints the time per 1,000 recipients against the smallest run's: flat means
linear growth. --explain MS (PostgreSQL) prints EXPLAIN (ANALYZE, BUFFERS) of every launch
statement slower than MS milliseconds, through auto_explain.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from households import TUESDAY, fresh_container, populate

from bot.consultation_yaml import load
from bot.consultations import finish_fan_out, launch, messages_for
from bot.container import Container
from conversations.consultations.model import Audience, Consultation
from storage import consultation_audience
from storage.db import transaction
from storage.models import ContactIdentity, Outbox
from storage.outbox import enqueue

ROOT = Path(__file__).resolve().parents[1]
TELEGRAM_CEILING = 1000  # messages a second: Telegram's limit for a bot's broadcasts
SHARE = 0.927  # households with a child of 0-60 months (see households.populate)


@dataclass(frozen=True, slots=True)
class Run:
    recipients: int
    messages: int
    seconds: float  # the launch as its author waits
    all_queued: float  # from pressing launch until every message is queued


def the_consultation() -> Consultation:
    consultation, _ = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None
    audience = Audience(community="feltham", child_age_months=(0, 60))
    return replace(consultation, audience=audience)


def row_by_row(container: Container, consultation: Consultation, limit: int) -> tuple[int, int]:
    """The obvious way, rolled back: (recipients looked at, outbox rows written)."""
    build_messages = messages_for(container.engine.config, consultation, "intro")
    session = container.sessions()
    session.begin()
    audience = consultation_audience.audience_rows(consultation.audience, TUESDAY.date())
    count = looked = 0
    for contact_id, _community, language, channel, _band in session.execute(audience.limit(limit)):
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == contact_id).limit(1)
        ).one()
        looked += 1
        for n, message in enumerate(build_messages(language, channel, None)):
            key = f"c:{consultation.id}:intro:{n}:{contact_id}"
            enqueue(session, contact_id, identity, message, TUESDAY, dedupe_key=key)
            count += 1
    session.flush()
    session.rollback()
    session.close()
    return looked, count


def explain_slow(container: Container, over_ms: int) -> list[str]:
    """Plans of statements slower than `over_ms`, as PostgreSQL's auto_explain reports them."""
    plans: list[str] = []

    @event.listens_for(container.database, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.add_notice_handler(lambda notice: plans.append(notice.message_primary))
        with dbapi_connection.cursor() as cursor:
            cursor.execute("LOAD 'auto_explain'")
            cursor.execute(f"SET auto_explain.log_min_duration = {int(over_ms)}")
            cursor.execute("SET auto_explain.log_analyze = on")
            cursor.execute("SET auto_explain.log_buffers = on")
            cursor.execute("SET client_min_messages = log")
        dbapi_connection.commit()

    container.database.dispose()  # later connections get the settings above
    return plans


def server_cpu(container: Container) -> float | None:
    """CPU seconds used so far by this database's PostgreSQL backends (None if not readable:
    another engine, or a server on another machine). On a loaded machine this, unlike the
    wall time, is what the launch costs."""
    if container.database.dialect.name != "postgresql":
        return None
    with container.database.connect() as connection:
        pids = connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    ticks = 0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    except OSError:
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


FLOOR = (
    # The rows a launch writes, copied with one plain statement each (rolled back).
    "INSERT INTO consultations (id, definition, status, launch_at, created_at, updated_at)"
    " SELECT 'floor', definition, status, launch_at, created_at, updated_at FROM consultations",
    "INSERT INTO consultation_invites (contact_id, community_id, language, channel, age_band,"
    " consultation_id, status, reminders_sent, invited_at) SELECT contact_id, community_id,"
    " language, channel, age_band, 'floor', status, 0, invited_at FROM consultation_invites",
    "UPDATE consultation_invites SET asked_at = invited_at WHERE consultation_id = 'play-park'",
    "UPDATE conversation_states SET updated_at = updated_at",
    "INSERT INTO outbox (contact_id, identity_id, channel, kind, priority, message, dedupe_key,"
    " status, not_before, attempts, created_at, expires_at) SELECT contact_id, identity_id,"
    " channel, kind, priority, message, 'floor' || dedupe_key, status, not_before, attempts,"
    " created_at, expires_at FROM outbox",
)


def floor(container: Container) -> tuple[float, float | None]:
    """Seconds (and PostgreSQL CPU seconds) to write the launch's rows with nothing else:
    its invites, an update of each, an update of each conversation and its outbox rows."""
    cpu_before = server_cpu(container)
    started = time.perf_counter()
    with container.database.connect() as connection:
        for statement in FLOOR:
            connection.execute(text(statement))
        connection.rollback()
    took = time.perf_counter() - started
    cpu_after = server_cpu(container)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return took, cpu


def one_run(args: argparse.Namespace, recipients: int, baseline: bool) -> Run:
    container = fresh_container(args.database_url, clock=lambda: TUESDAY)
    populate(container, int(recipients / SHARE))
    consultation = the_consultation()
    if baseline and args.baseline_recipients:
        started = time.perf_counter()
        looked, baseline_rows = row_by_row(container, consultation, args.baseline_recipients)
        took_baseline = time.perf_counter() - started
    plans = explain_slow(container, args.explain) if args.explain is not None else []

    cpu_before, python_before = server_cpu(container), time.process_time()
    started = time.perf_counter()
    planned = launch(container, consultation, background=False)
    took = time.perf_counter() - started
    with transaction(container.sessions) as session:
        first = session.scalar(select(func.count()).where(Outbox.dedupe_key.like("c:%"))) or 0
    rest_started = time.perf_counter()
    finish_fan_out(container, consultation.id)
    rest = time.perf_counter() - rest_started
    python_cpu, cpu_after = time.process_time() - python_before, server_cpu(container)
    plans_seen = len(plans)
    with transaction(container.sessions) as session:
        written = session.scalar(select(func.count()).where(Outbox.dedupe_key.like("c:%")))
    floor_took, floor_cpu = floor(container)
    container.close()

    for plan in plans[:plans_seen]:
        print("-" * 78, plan, sep="\n")
    print(f"database: {container.database.dialect.name}; recipients: {planned.recipients:,}")
    all_queued = took + rest
    chunk = container.settings.consultation_fanout_chunk
    print(
        f"launch, as its author waits (plan, open, first chunk of {chunk:,} contacts):"
        f" {took * 1000:.0f} ms, {first:,} messages queued; goal < 2 s:"
        f" {'met' if took < 2 else 'MISSED'}",
        flush=True,
    )
    rate = (written or 0) / all_queued
    print(
        f"fan-out: every message queued {all_queued:.2f} s after pressing launch"
        f" ({written or 0:,} messages): {rate:,.0f} messages/s, {rate / TELEGRAM_CEILING:.1f}x"
        f" Telegram's ceiling of {TELEGRAM_CEILING:,}/s",
        flush=True,
    )
    if baseline and args.baseline_recipients:
        scaled = took_baseline / max(looked, 1) * planned.recipients
        print(
            f"baseline, row by row (rolled back): {took_baseline * 1000:.0f} ms for {looked:,}"
            f" recipients ({baseline_rows:,} rows); scaled to {planned.recipients:,}:"
            f" {scaled:.1f} s; the launch is {scaled / took:.0f}x faster, every message"
            f" queued {scaled / all_queued:.1f}x faster",
            flush=True,
        )
    cpu = f"CPU, launch and fan-out: Python {python_cpu:.2f} s"
    if cpu_before is not None and cpu_after is not None:
        cpu += f", PostgreSQL {cpu_after - cpu_before:.2f} s"
    print(f"{cpu}; load average {os.getloadavg()[0]:.1f}", flush=True)
    line = f"floor, the same rows copied by plain INSERT/UPDATE (rolled back): {floor_took:.2f} s"
    if floor_cpu is not None:
        line += f", PostgreSQL CPU {floor_cpu:.2f} s"
    print(
        f"{line}; the launch takes {took / floor_took:.2f}x the floor, every message queued"
        f" {all_queued / floor_took:.2f}x",
        flush=True,
    )
    return Run(planned.recipients, written or 0, took, all_queued)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000, help="about this many")
    parser.add_argument("--baseline-recipients", type=int, default=5000, help="0: no baseline")
    parser.add_argument("--scaling", action="store_true", help="also a fifth and half as many")
    parser.add_argument("--explain", type=int, default=None, metavar="MS")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    if args.explain is not None and not (args.database_url or "").startswith("postgresql"):
        parser.error("--explain needs a PostgreSQL --database-url")
    sizes = [args.recipients // 5, args.recipients // 2] if args.scaling else []
    runs = [one_run(args, size, size == args.recipients) for size in [*sizes, args.recipients]]
    if args.scaling:
        first = runs[0].all_queued / max(runs[0].recipients, 1)
        print("recipients | launch | all queued | ms per 1,000 recipients, all queued | x smallest")
        for run in runs:
            each = run.all_queued / max(run.recipients, 1)
            print(
                f"{run.recipients:,} | {run.seconds:.2f} s | {run.all_queued:.2f} s"
                f" | {each * 1e6:.0f} | {each / first:.2f}x"
            )


if __name__ == "__main__":
    main()
