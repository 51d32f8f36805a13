"""Messages per second one worker process sends to zero-latency fake Telegram and Twilio APIs.

    .venv/bin/python benchmarks/dispatch.py [--messages 3000] [--sms-share 0.3] [--batch 500]
        [--fake wire|uvicorn] [--skip-stock] [--database-url URL]

The fakes (benchmarks/fake_apis.py's canned answers) run in a child process, so they do not
share this process's interpreter lock: by default on benchmarks/fake_wire.py, a bare asyncio
HTTP/1.1 server costing ~60 µs a request, where uvicorn without httptools cost ~340 µs and
was the ceiling (`--fake uvicorn` for the old one). Most queued messages go to Telegram, the
rest (`--sms-share`) to SMS, each to its own chat, with a rate limit far above what is sent.
The baseline, in the same run against the same fakes, is the same real clients (our
`TelegramSender` on python-telegram-bot, `TwilioSender` on twilio-python) sending the same
messages directly, 100 at a time, with no outbox or database: the ceiling of the clients on
this machine. The dispatcher adds claiming, rate-limit tokens, rendering and recording.
A second figure is stock python-telegram-bot (`Bot.send_message` over its default
`HTTPXRequest`) sending the Telegram share alone, for what the lean transport gains.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import fake_wire  # noqa: E402
from benchmarks.serve import uvicorn  # noqa: E402
from bot.container import build, prepare_database  # noqa: E402
from bot.dispatcher import Dispatcher, DispatchPolicy  # noqa: E402
from bot.runtime import settle_heap  # noqa: E402
from bot.senders import Sender, TelegramSender, TwilioSender  # noqa: E402
from bot.settings import Settings  # noqa: E402
from conversations.types import OutgoingMessage  # noqa: E402
from storage.db import transaction  # noqa: E402
from storage.models import Base, Contact, ContactIdentity, Outbox  # noqa: E402

TOKEN = "123456:BENCH-not-a-real-token"
ACCOUNT, AUTH = "ACbench0000000000000000000000000", "bench-auth-token-not-real"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
TEXT = "Hello from the benchmark."


def plan(count: int, share: float) -> list[tuple[str, str]]:
    """(channel, address) of messages 1..count: the SMS share spread evenly through the queue.

    Telegram chat ids are made up; SMS numbers are Ofcom's 1,000 drama numbers, one each.
    """
    chats, texts = [], 0
    for n in range(1, count + 1):
        if int(n * share) > int((n - 1) * share):
            chats.append(("sms", f"+447700{900000 + texts}"))
            texts += 1
        else:
            chats.append(("telegram", str(700000000 + n)))
    return chats


def populate(container, chats: list[tuple[str, str]]) -> None:  # type: ignore[no-untyped-def]
    message = OutgoingMessage(TEXT, ("en",)).to_json()
    contacts, identities, rows = [], [], []
    for n, (channel, chat) in enumerate(chats, start=1):
        contacts.append(
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
        )
        identities.append(
            {
                "id": n,
                "contact_id": n,
                "channel": channel,
                "address": chat,
                "reachable": True,
                "created_at": NOW,
            }
        )
        rows.append(
            {
                "contact_id": n,
                "identity_id": n,
                "channel": channel,
                "kind": "proactive",
                "priority": 1,
                "message": message,
                "status": "queued",
                "not_before": NOW,
                "attempts": 0,
                "created_at": NOW,
            }
        )
    with transaction(container.sessions) as session:
        session.execute(insert(Contact), contacts)
        session.execute(insert(ContactIdentity), identities)
        session.execute(insert(Outbox), rows)


def senders(origin: str) -> dict[str, Sender]:
    return {
        "telegram": TelegramSender(TOKEN, origin, pool_size=100),
        "sms": TwilioSender(ACCOUNT, AUTH, "+447700900000", None, None, origin),
    }


async def baseline(origin: str, chats: list[tuple[str, str]]) -> float:
    clients = senders(origin)
    payload = OutgoingMessage(TEXT, ("en",)).to_json()

    async def one(channel: str, chat: str) -> None:
        result = await clients[channel].send(chat, dict(payload))
        assert result.outcome == "sent", result

    await one(*chats[0])  # connect and initialise, as the dispatcher's first round does
    started = time.perf_counter()
    for start in range(0, len(chats), 100):
        await asyncio.gather(*(one(*chat) for chat in chats[start : start + 100]))
    took = time.perf_counter() - started
    for sender in clients.values():
        await sender.close()
    return took


async def stock_ptb(origin: str, chats: list[tuple[str, str]]) -> float:
    """Messages/s of `telegram.Bot.send_message` over PTB's own HTTPXRequest, 100 at a time."""
    import telegram
    from telegram.request import HTTPXRequest

    chat_ids = [int(chat) for channel, chat in chats if channel == "telegram"]
    request = HTTPXRequest(connection_pool_size=100, read_timeout=15)
    async with telegram.Bot(TOKEN, base_url=f"{origin}/bot", request=request) as bot:
        started = time.perf_counter()
        for start in range(0, len(chat_ids), 100):
            batch = chat_ids[start : start + 100]
            await asyncio.gather(*(bot.send_message(chat_id=c, text=TEXT) for c in batch))
        return len(chat_ids) / (time.perf_counter() - started)


async def dispatch(container, origin: str, batch: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    policy = DispatchPolicy(rates={"telegram": 1e6, "sms": 1e6}, batch=batch)
    dispatcher = Dispatcher(container.sessions, senders(origin), policy)
    started = time.perf_counter()
    try:
        sent = await dispatcher.drain(NOW)
    finally:
        await dispatcher.close()
    return time.perf_counter() - started, sent


def fresh(url: str | None):  # type: ignore[no-untyped-def]
    url = url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    settings = Settings(database_url=url, secret_key="bench-not-secret", _env_file=None)  # type: ignore[call-arg]
    container = build(settings)
    if url.startswith("postgresql"):
        Base.metadata.drop_all(container.database)
        with container.database.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    prepare_database(container)
    return container


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--sms-share", type=float, default=0.3, help="the share sent by SMS")
    parser.add_argument(
        "--batch", type=int, default=DispatchPolicy().batch, help="rows claimed per channel a round"
    )
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--fake",
        choices=("wire", "uvicorn"),
        default="wire",
        help="the fake APIs' server: bare asyncio (default) or uvicorn (the old one)",
    )
    parser.add_argument("--skip-stock", action="store_true", help="skip the stock PTB figure")
    args = parser.parse_args()
    if args.messages * args.sms_share > 1000:
        parser.error("at most 1,000 SMS: there are 1,000 fake numbers (+447700900000-999)")
    container = fresh(args.database_url)
    chats = plan(args.messages, args.sms_share)
    populate(container, chats)
    settle_heap()  # as `python -m bot worker` does, for the baseline and the dispatcher alike
    server = fake_wire.running() if args.fake == "wire" else uvicorn("benchmarks.fake_apis:app")
    with server as origin:
        stock = 0.0 if args.skip_stock else asyncio.run(stock_ptb(origin, chats))
        cpu = time.process_time()
        base = asyncio.run(baseline(origin, chats))
        cpu_base, cpu = time.process_time() - cpu, time.process_time()
        took, claimed = asyncio.run(dispatch(container, origin, args.batch))
        cpu_ours = time.process_time() - cpu
    with transaction(container.sessions) as session:
        sent = session.scalar(select(func.count()).where(Outbox.status == "sent")) or 0
    container.close()
    ours, ceiling = sent / took, args.messages / base
    print(
        f"database: {container.database.dialect.name}; messages: {args.messages} "
        f"({args.sms_share:.0%} SMS); claimed {claimed}, sent {sent}; fake APIs: {args.fake}; "
        f"batch {args.batch}; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"stock PTB (Bot.send_message, HTTPXRequest), Telegram alone: {stock:,.0f} msg/s")
    print(
        f"baseline, the same clients sending directly, no outbox: {ceiling:,.0f} msg/s "
        f"({cpu_base / args.messages * 1e6:,.0f} µs of this process's CPU a message)"
    )
    print(
        f"dispatcher, one worker (claim, render, send, record): {ours:,.0f} msg/s "
        f"({ours / ceiling:.2f}x the baseline; goal 1,500/s; "
        f"{cpu_ours / max(sent, 1) * 1e6:,.0f} µs of CPU a message, database threads included)"
    )


if __name__ == "__main__":
    main()
