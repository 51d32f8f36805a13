"""Where an inbound update's time goes, in-process: SQL statements per update and a profile.

    .venv/bin/python benchmarks/inbound_profile.py [--chats 40] [--database-url URL]
        [--web] [--profile cprofile|none]

The same seven-update onboarding as `inbound.py`, serially, either straight through
`InboundService.receive` (after `update_to_inbound`) or, with `--web`, through `create_app`'s
webhook with Starlette's TestClient. Prints updates/s, statements and transactions per update,
and the top of the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.inbound import fresh_database, script  # noqa: E402
from benchmarks.inbound_apps import PATH, SECRET  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--web", action="store_true", help="through create_app and TestClient")
    parser.add_argument("--profile", default="cprofile", choices=["cprofile", "none"])
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--batch", type=int, default=1, help="chats side by side, received together (group commit)"
    )
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    os.environ["BENCH_DATABASE_URL"] = url
    from bot.container import build, reload_tips
    from bot.settings import Settings
    from webhooks.telegram import update_to_inbound

    container = build(
        Settings(  # type: ignore[call-arg]
            database_url=url,
            secret_key="bench-not-secret",
            telegram_webhook_secret=SECRET,
            _env_file=None,
        )
    )
    reload_tips(container)
    statements: Counter[str] = Counter()

    @event.listens_for(container.database, "before_cursor_execute")
    def count(_c: Any, _cur: Any, sql: str, *_rest: Any) -> None:
        statements[sql.split(None, 1)[0].upper()] += 1

    if args.web:
        from fastapi.testclient import TestClient

        from bot.web import create_app

        client = TestClient(create_app(container))
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

        def send(update: dict[str, Any]) -> None:
            client.post(PATH, json=update, headers=headers).raise_for_status()

    else:

        def send(update: dict[str, Any]) -> None:
            message = update_to_inbound(update, datetime.now(UTC))
            assert message is not None
            container.inbound.receive(message)

    for n in range(5):  # warm up: compiled-statement caches, imports
        for update in script(10_000 + n, (10_000 + n) * 10):
            send(update)
    statements.clear()
    chats = [script(20_000 + n, (20_000 + n) * 10) for n in range(args.chats)]
    updates = [u for chat in chats for u in chat]
    if args.batch > 1:  # each step of `--batch` chats at once, through `receive_many`
        groups = [chats[i : i + args.batch] for i in range(0, len(chats), args.batch)]
        batches = [[chat[step] for chat in group] for group in groups for step in range(7)]

        def send_all() -> None:
            for batch in batches:
                messages = [update_to_inbound(u, datetime.now(UTC)) for u in batch]
                container.inbound.receive_many([m for m in messages if m is not None])

    else:

        def send_all() -> None:
            for update in updates:
                send(update)

    profiler: Any = None
    if args.profile == "cprofile":
        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu = time.perf_counter(), time.process_time()
    send_all()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    if args.profile == "cprofile":
        profiler.disable()
    n = len(updates)
    print(f"database {url.split(':', 1)[0]}; {n} updates serially; load {os.getloadavg()[0]:.2f}")
    print(
        f"{n / took:,.0f} updates/s, {took / n * 1000:.2f} ms per update, "
        f"CPU {cpu / n * 1000:.2f} ms per update (profiler: {args.profile})"
    )
    total = sum(statements.values())
    print(
        f"statements per update {total / n:.2f}: "
        + ", ".join(f"{k} {v / n:.2f}" for k, v in statements.most_common())
    )
    if args.profile == "cprofile":
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(args.top)
        print(out.getvalue())
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    container.close()


if __name__ == "__main__":
    main()
