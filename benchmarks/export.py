"""How fast the responses export runs, streamed and set-based, against loading row by row.

    .venv/bin/python benchmarks/export.py [--respondents 200000] [--baseline-respondents 20000]
        [--xlsx] [--portable] [--reuse] [--database-url URL]

Builds that many Feltham respondents to the play-park consultation (uses, how often, the
multi-select help question and the safety scale; on PostgreSQL their start times spread over
two weeks, as a real consultation's do), then exports the responses as CSV through
`write_export` (one GROUP BY statement, streamed a thousand rows at a time) and, as the baseline
in the same run, the obvious way: load every invite as an ORM object, then each one's answers
with its own query, and write the same CSV (over the first --baseline-respondents). Each
export runs in a fresh child process, whose peak RSS (getrusage) is reported. On PostgreSQL
the CSV comes from COPY; --portable also times the portable path (rows through Python, as on
SQLite) on the same data. --reuse keeps a database seeded by an earlier run with as many
respondents (seeding 1M takes minutes).
"""

from __future__ import annotations

import argparse
import csv
import io
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, String, cast, false, func, insert, literal, select
from sqlalchemy.exc import DBAPIError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from clock_pass import backend_cpu
from households import TUESDAY, analyze, fresh_container, numbers

from bot.consultation_yaml import load
from bot.container import build
from bot.settings import Settings
from storage.base import JSONType, UTCDateTime
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.db import transaction
from storage.exports import responses
from storage.exports.common import Context
from storage.exports.run import write_export
from storage.exports.spec import Filters
from storage.exports.writers import write_csv
from storage.models import Contact

ROOT = Path(__file__).resolve().parents[1]
ZONE = "Europe/London"
ANSWERS = (("uses", "yes"), ("how-often", "weekly"), ("help", "shade,toilets"), ("safety", "4"))


def populate(container, respondents: int) -> None:  # type: ignore[no-untyped-def]
    """The consultation, then contacts, invites (their answers pivoted on them, as
    record_answer keeps them) and four answers each: INSERT … SELECT."""
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    with transaction(container.sessions) as session:
        session.add(
            ConsultationRow(
                id="play-park",
                definition=consultation.to_json(),
                status="open",
                launch_at=TUESDAY,
                launched_at=TUESDAY,
                created_at=TUESDAY,
                updated_at=TUESDAY,
            )
        )
    stamp = literal(TUESDAY, UTCDateTime())
    n = numbers(container, respondents).c.n
    with transaction(container.sessions) as session:
        session.execute(
            insert(Contact).from_select(
                [
                    "id",
                    "code",
                    "community_id",
                    "language",
                    "status",
                    "is_simulated",
                    "created_at",
                    "updated_at",
                ],
                select(
                    n, literal("B") + cast(n, String), literal("feltham"), literal("en")
                ).add_columns(literal("active"), false(), stamp, stamp),
            )
        )
        invite = select(Contact.id, literal("play-park"), literal("feltham"), literal("en"))
        session.execute(
            insert(ConsultationInvite).from_select(
                [
                    "contact_id",
                    "consultation_id",
                    "community_id",
                    "language",
                    "channel",
                    "age_band",
                    "status",
                    "reminders_sent",
                    "invited_at",
                    "started_at",
                    "finished_at",
                    "answers",
                ],
                invite.add_columns(
                    literal("sms"), literal("12-23m"), literal("finished"), literal(0)
                ).add_columns(
                    stamp, *answering(container, stamp), literal(dict(ANSWERS), JSONType)
                ),
            )
        )
        for question, value in ANSWERS:
            session.execute(
                insert(ConsultationAnswer).from_select(
                    [
                        "consultation_id",
                        "contact_id",
                        "question_id",
                        "value",
                        "skipped",
                        "channel",
                        "answered_at",
                    ],
                    select(
                        literal("play-park"), Contact.id, literal(question), literal(value)
                    ).add_columns(false(), literal("sms"), stamp),
                )
            )
    analyze(container)


def answering(container, stamp: Any) -> tuple[Any, Any]:  # type: ignore[no-untyped-def]
    """When each parent started and finished: over two weeks, as a real consultation runs, on
    PostgreSQL (equal start times would mislead its planner as no real data does); the launch
    moment on SQLite."""
    if container.database.dialect.name != "postgresql":
        return stamp, stamp
    seconds = (cast(Contact.id, BigInteger) * 7919) % (14 * 24 * 3600)
    started = stamp + func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    return started, started + func.make_interval(0, 0, 0, 0, 0, 0, 95 + Contact.id % 400)


def settings(url: str) -> Settings:
    return Settings(database_url=url, secret_key="bench-not-secret", _env_file=None)  # type: ignore[call-arg]


def seeded(url: str, respondents: int) -> bool:
    """Whether the database already holds this benchmark's data for that many respondents."""
    container = build(settings(url), clock=lambda: TUESDAY)
    try:
        with transaction(container.sessions) as session:
            # Every invite counted, and those with their answers pivoted on them (a database
            # seeded before migration 0011 has none, and would export blank answers).
            counts = session.execute(
                select(func.count(), func.count(ConsultationInvite.answers)).where(
                    ConsultationInvite.consultation_id == "play-park"
                )
            ).one()
    except DBAPIError:
        return False
    finally:
        container.close()
    return tuple(counts) == (respondents, respondents)


def export(url: str, fmt: str, queue: Any, portable: bool = False) -> None:
    """In a child process, so its peak RSS is the export's alone: (rows, seconds, peak MB)."""
    container = build(settings(url), clock=lambda: TUESDAY)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    server, cpu = backend_cpu(container), time.process_time()
    started = time.perf_counter()
    with transaction(container.sessions) as session, tempfile.TemporaryFile() as out:
        if portable:  # what write_export does on SQLite: rows through Python
            ctx = Context(
                mode="pseudonymised", filters=Filters(consultation="play-park"), timezone=ZONE
            )
            table = responses.table(session, ctx)
            rows = write_csv(out, table.header, table.rows, lambda done: None)
        else:
            rows = write_export(
                session,
                "responses",
                fmt,
                out,
                mode="pseudonymised",
                filters=Filters(consultation="play-park"),
                timezone=ZONE,
                threshold=5,
            )
    took = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    after = backend_cpu(container)  # the ranges' connections are still in the pool
    used = f"CPU {cpu:.1f} s here"
    if server is not None and after is not None:
        used += (
            f" + {after - server:.1f} s PostgreSQL backends (exited parallel workers not counted)"
        )
    queue.put((rows, took, before, peak, used))
    container.close()


def in_child(url: str, fmt: str, portable: bool = False) -> tuple[int, float, float, float, str]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=export, args=(url, fmt, queue, portable))
    child.start()
    result = queue.get()
    child.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=200_000)
    parser.add_argument("--baseline-respondents", type=int, default=20_000)
    parser.add_argument("--xlsx", action="store_true", help="also time the XLSX export")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--portable", action="store_true", help="also time the portable CSV")
    parser.add_argument("--reuse", action="store_true", help="keep data seeded by a prior run")
    args = parser.parse_args()
    if args.reuse and args.database_url and seeded(args.database_url, args.respondents):
        container = build(settings(args.database_url), clock=lambda: TUESDAY)
    else:
        container = fresh_container(args.database_url, clock=lambda: TUESDAY)
        populate(container, args.respondents)

    def row_by_row() -> int:
        out = csv.writer(io.StringIO())
        count = 0
        with transaction(container.sessions) as session:
            invites = select(ConsultationInvite).limit(args.baseline_respondents)
            for invite in session.scalars(invites).all():
                answers = session.scalars(
                    select(ConsultationAnswer).where(
                        ConsultationAnswer.consultation_id == invite.consultation_id,
                        ConsultationAnswer.contact_id == invite.contact_id,
                    )
                ).all()
                out.writerow([invite.contact_id, *(a.value for a in answers)])
                count += 1
        return count

    started = time.perf_counter()
    baseline_rows = row_by_row()
    baseline = time.perf_counter() - started

    url = container.settings.database_url
    container.close()
    print(f"database: {container.database.dialect.name}; respondents: {args.respondents:,}")
    print(
        f"goal: CSV >= 200,000 rows/s at 1M respondents, peak RSS < 200 MB; cores: {os.cpu_count()}"
    )
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    rate = baseline_rows / baseline
    print(f"baseline, ORM row by row ({baseline_rows:,} respondents): {rate:,.0f} rows/s")
    runs = [("csv", False)] + [("csv", True)] * args.portable + [("xlsx", False)] * args.xlsx
    for fmt, portable in runs:
        rows, took, before, peak, used = in_child(url, fmt, portable)
        how = "portable path, rows through Python" if portable else "write_export"
        print(
            f"export to {fmt.upper()} ({how}): {rows / took:,.0f} rows/s "
            f"({rows:,} rows in {took:.1f} s; {rows / took / rate:.1f}x the baseline); "
            f"peak RSS {peak:.0f} MB (a bare child process: {before:.0f} MB); {used}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
