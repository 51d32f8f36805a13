"""Messages per second one dispatcher sends to a zero-latency fake Telegram Bot API.

    .venv/bin/python benchmarks/dispatch.py [--messages 2000] [--database-url URL]

The baseline, measured in the same run against the same fake server, is python-telegram-bot's
own `Bot.send_message` called in batches of 100 with no database at all: the ceiling of the
client library on this machine. The dispatcher adds claiming, rendering and recording.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.container import build, prepare_database  # noqa: E402
from bot.dispatcher import Dispatcher, DispatchPolicy  # noqa: E402
from bot.senders import TelegramSender  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversations.types import OutgoingMessage  # noqa: E402
from storage.db import transaction  # noqa: E402
from storage.models import Contact, ContactIdentity, Outbox  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

TOKEN = "123456:BENCH-not-a-real-token"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def populate(container, count: int) -> None:  # type: ignore[no-untyped-def]
    message = OutgoingMessage("Hello from the benchmark.", ("en",)).to_json()
    contacts = [
        {
            "id": n,
            "code": f"D{n:07d}",
            "community_id": "feltham",
            "language": "en",
            "status": "active",
            "is_simulated": False,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for n in range(1, count + 1)
    ]
    identities = [
        {
            "id": n,
            "contact_id": n,
            "channel": "telegram",
            "address": str(700000000 + n),
            "reachable": True,
            "created_at": NOW,
        }
        for n in range(1, count + 1)
    ]
    rows = [
        {
            "contact_id": n,
            "identity_id": n,
            "channel": "telegram",
            "kind": "proactive",
            "priority": 1,
            "message": message,
            "status": "queued",
            "not_before": NOW,
            "attempts": 0,
            "created_at": NOW,
        }
        for n in range(1, count + 1)
    ]
    with transaction(container.sessions) as session:
        session.execute(insert(Contact), contacts)
        session.execute(insert(ContactIdentity), identities)
        session.execute(insert(Outbox), rows)


async def baseline(fake: FakeTelegram, count: int) -> float:
    sender = TelegramSender(TOKEN, fake.origin)
    started = time.perf_counter()
    async with sender.bot as bot:
        for start in range(0, count, 100):
            await asyncio.gather(
                *(
                    bot.send_message(chat_id=700000000 + n, text="Hello from the benchmark.")
                    for n in range(start, min(count, start + 100))
                )
            )
    return time.perf_counter() - started


async def dispatch(container, fake: FakeTelegram) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    sender = TelegramSender(TOKEN, fake.origin)
    policy = DispatchPolicy(rates={"telegram": 1_000_000.0}, batch=100)
    dispatcher = Dispatcher(container.sessions, {"telegram": sender}, policy)
    started = time.perf_counter()
    try:
        sent = await dispatcher.drain(NOW)
    finally:
        await dispatcher.close()
    return time.perf_counter() - started, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    container = build(Settings(database_url=url, secret_key="bench-not-secret", _env_file=None))  # type: ignore[call-arg]
    prepare_database(container)
    populate(container, args.messages)
    with FakeTelegram(TOKEN) as fake:
        base = asyncio.run(baseline(fake, args.messages))
        took, sent = asyncio.run(dispatch(container, fake))
    container.close()
    ours, ceiling = sent / took, args.messages / base
    print(f"database: {container.database.dialect.name}; messages: {args.messages}")
    print(f"baseline, PTB send_message with no database: {ceiling:.0f} msg/s")
    print(
        f"dispatcher (claim, render, send, record): {ours:.0f} msg/s "
        f"({ours / ceiling:.2f}x the baseline)"
    )


if __name__ == "__main__":
    main()
