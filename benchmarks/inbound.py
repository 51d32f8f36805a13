"""Telegram webhook updates per second, and latency, through a real uvicorn on 127.0.0.1.

    .venv/bin/python benchmarks/inbound.py [--chats 150] [--concurrency 16] [--database-url URL]

Each chat goes through onboarding as Telegram sends it (/start feltham, consent, born,
the date, a name, no more children, confirm: seven updates, buttons as callback queries),
chats side by side over `--concurrency` keep-alive connections, each chat's updates in order.
The same updates go, in the same run and each app in its own uvicorn child process, to:
  ours      `create_app` (secret checked, parsed, stored, the engine run, replies queued);
  ceiling   a bare FastAPI endpoint that checks the secret and does one INSERT (same database);
  plain bot python-telegram-bot's Application with a ConversationHandler and PicklePersistence
            (process_update per webhook call; it keeps state in memory and pickles it), replying
            as ours does: each pressed button answered and its keyboard removed, and the same
            messages sent, to a fake Bot API on 127.0.0.1 (the run checks every call was made);
  silent bot the same plain bot replying nothing: a floor no usable bot goes below.
Ours queues its replies in the outbox, in the webhook's transaction, and answers once they are
safe; sending them is the worker's job. So ours is measured twice: alone (the worker elsewhere),
and with `python -m bot worker` on the same machine sending every reply to the same fake Bot
API while the webhooks arrive (the run waits until all are sent and checks their number).
No update reaches the internet: no bot token for the web app, a fake Bot API for the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.inbound_apps import PATH, SECRET  # noqa: E402
from benchmarks.serve import cpu_seconds, process_cpu_seconds, uvicorn  # noqa: E402
from bot.container import build, prepare_database  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.models import Base  # noqa: E402


def script(chat: int, first: int) -> list[dict[str, Any]]:
    """The seven updates one parent's onboarding takes, with update ids from `first`."""
    who = {"id": chat, "is_bot": False, "first_name": "Parent"}
    where = {"id": chat, "type": "private", "first_name": "Parent"}

    def text(n: int, body: str) -> dict[str, Any]:
        message = {"message_id": n, "date": 1773136800, "chat": where, "from": who, "text": body}
        if body.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
        return {"update_id": first + n, "message": message}

    def press(n: int, data: str) -> dict[str, Any]:
        shown = {"message_id": 9000 + n, "date": 1773136800, "chat": where, "text": "?"}
        query = {"id": f"q{chat}-{n}", "from": who, "chat_instance": "c", "data": data}
        return {"update_id": first + n, "callback_query": {**query, "message": shown}}

    return [
        text(0, "/start feltham"),
        press(1, "consent:yes"),
        press(2, "kind:born"),
        text(3, "1/5/2025"),
        text(4, "Sam"),
        press(5, "more:no"),
        press(6, "confirm:yes"),
    ]


async def drive(origin: str, chats: int, concurrency: int, base: int) -> tuple[float, list[float]]:
    """Send every chat's onboarding; returns (seconds, each request's latency)."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(chats):
        queue.put_nowait(n)
    latencies: list[float] = []
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # Generous: on a loaded box a slow p99 must show up as a figure, not abort the run.
    timeout = httpx.Timeout(120.0)
    client = httpx.AsyncClient(base_url=origin, headers=headers, limits=limits, timeout=timeout)
    async with client:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                for update in script(base + n, (base + n) * 10):
                    started = time.perf_counter()
                    answer = await client.post(PATH, json=update)
                    latencies.append(time.perf_counter() - started)
                    answer.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - started, latencies


# Bot API calls one onboarding's replies take: ten messages sent, and for each of the four
# pressed buttons its answer and its keyboard taken away. Ours queues the same fourteen
# messages (the four acknowledgements among them) in its outbox.
CALLS_PER_CHAT = 18


def bot_api_calls(origin: str) -> int:
    """How many Bot API calls the fake has answered so far (getMe aside)."""
    return int(httpx.get(origin + "/calls").json()["telegram"])


def chats_sent(args: argparse.Namespace) -> int:
    """Chats one `measure` onboards, its warm-up included."""
    return args.chats + max(2, args.chats // 10)


@contextmanager
def worker(url: str, bot_api: str) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bot worker` sending to the fake Bot API, as fast as it can."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-not-secret",
        "TELEGRAM_BOT_TOKEN": "123456:BENCH-not-a-real-token",
        "TELEGRAM_API_BASE_URL": bot_api,
        "TELEGRAM_RATE": "1000000",  # no rate limit: the plain bot has none either
        "LOG_LEVEL": "WARNING",
    }
    child = subprocess.Popen([sys.executable, "-m", "bot", "worker"], cwd=ROOT, env=env)
    try:
        yield child
    finally:
        child.terminate()
        child.wait(timeout=30)


def drained(bot_api: str, target: int, since: float) -> float:
    """Seconds from `since` until the fake Bot API has answered `target` calls."""
    deadline = time.monotonic() + 300
    while bot_api_calls(bot_api) < target:
        if time.monotonic() > deadline:
            raise SystemExit(f"ours sent {bot_api_calls(bot_api)} Bot API calls, not {target}")
        time.sleep(0.05)
    took = time.monotonic() - since
    time.sleep(1)  # a message sent twice would arrive after the last one: count again
    if bot_api_calls(bot_api) != target:
        raise SystemExit(f"ours sent {bot_api_calls(bot_api)} Bot API calls, not {target}")
    return took


def measure(origin: str, args: argparse.Namespace, base: int) -> tuple[float, float, float, float]:
    """(updates/s, p50 ms, p99 ms, the server's CPU ms per update)."""
    asyncio.run(drive(origin, max(2, args.chats // 10), args.concurrency, base))  # warm up
    cpu = cpu_seconds(origin)
    took, latencies = asyncio.run(drive(origin, args.chats, args.concurrency, base + 10**6))
    cpu = cpu_seconds(origin) - cpu
    cuts = statistics.quantiles(latencies, n=100)
    return len(latencies) / took, cuts[49] * 1000, cuts[98] * 1000, cpu / len(latencies) * 1000


def forget_outbox(url: str) -> None:
    """Delete the queued replies of a run no worker was sending."""
    settings = Settings(database_url=url, secret_key="bench-not-secret", _env_file=None)  # type: ignore[call-arg]
    container = build(settings)
    with container.database.begin() as connection:
        connection.exec_driver_sql("DELETE FROM outbox")
    container.close()


def fresh_database(url: str | None) -> str:
    url = url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    settings = Settings(database_url=url, secret_key="bench-not-secret", _env_file=None)  # type: ignore[call-arg]
    container = build(settings)
    if url.startswith("postgresql"):
        with container.database.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS bench_updates")
            for table in reversed(Base.metadata.sorted_tables):
                connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{table.name}" CASCADE')
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    prepare_database(container)
    container.close()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chats", type=int, default=150, help="parents onboarded (7 updates each)")
    parser.add_argument("--concurrency", type=int, default=16, help="connections at once")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    url = fresh_database(args.database_url)
    env = {"BENCH_DATABASE_URL": url}
    figures: dict[str, tuple[float, float, float, float]] = {}
    load = os.getloadavg()
    with uvicorn("benchmarks.inbound_apps:ceiling", env, factory=True) as origin:
        figures["ceiling"] = measure(origin, args, 7_000_000)
    with uvicorn("benchmarks.fake_apis:app") as bot_api:
        for name, silent in (("plain bot", "0"), ("silent bot", "1")):
            plain = {**env, "BENCH_BOT_API": bot_api, "BENCH_PLAIN_SILENT": silent}
            with uvicorn("benchmarks.inbound_apps:plain_bot", plain, factory=True) as origin:
                calls = bot_api_calls(bot_api)
                figures[name] = measure(origin, args, 8_000_000 + int(silent) * 2_000_000)
                sent, due = bot_api_calls(bot_api) - calls, CALLS_PER_CHAT * chats_sent(args)
                if silent == "0" and sent != due:
                    raise SystemExit(f"the plain bot made {sent} Bot API calls, not the {due} due")
        with uvicorn("benchmarks.inbound_apps:ours", env, factory=True) as origin:
            figures["ours"] = measure(origin, args, 12_000_000)
        forget_outbox(url)  # the worker below sends only what the next run queues
        with (
            worker(url, bot_api) as child,
            uvicorn("benchmarks.inbound_apps:ours", env, factory=True) as origin,
        ):
            calls, cpu = bot_api_calls(bot_api), process_cpu_seconds(child.pid)
            figures["ours + worker"] = measure(origin, args, 14_000_000)
            lag = drained(bot_api, calls + CALLS_PER_CHAT * chats_sent(args), time.monotonic())
            worker_cpu = (process_cpu_seconds(child.pid) - cpu) / (chats_sent(args) * 7) * 1000
    print(
        f"database: {url.split(':', 1)[0]}; {args.chats} chats x 7 updates, "
        f"{args.concurrency} connections; load average {load[0]:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    for name, (rate, p50, p99, cpu) in figures.items():
        print(
            f"{name:>10}: {rate:7,.0f} updates/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
            f"server CPU {cpu:5.2f} ms/update"
        )
    ours, ceiling = figures["ours"][0], figures["ceiling"][0]
    plain_rate, silent_rate = figures["plain bot"][0], figures["silent bot"][0]
    print(
        f"ours + worker: every reply sent {lag:.1f} s after the last webhook answered; "
        f"the worker's CPU {worker_cpu:.2f} ms/update"
    )
    print(
        f"ours / ceiling: {ours / ceiling:.2f} (goal >= 0.60); "
        f"ours / plain bot: {ours / plain_rate:.2f} (goal > 1); "
        f"with the worker on the box: {figures['ours + worker'][0] / plain_rate:.2f}; "
        f"ours / silent bot: {ours / silent_rate:.2f}"
    )
    # CPU per update moves far less with other load on the box than updates/s do.
    cpu_ours, cpu_ceiling = figures["ours"][3], figures["ceiling"][3]
    print(
        f"server CPU per update, ceiling / ours: {cpu_ceiling / cpu_ours:.2f} "
        f"(plain bot / ours: {figures['plain bot'][3] / cpu_ours:.2f})"
    )


if __name__ == "__main__":
    main()
