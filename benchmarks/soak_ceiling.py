"""The soak's same-run baseline for webhook latency: the bare-INSERT ceiling of
`benchmarks/inbound_apps.py` (check the secret, parse, one INSERT) under uvicorn, on the same
database, sent Telegram updates at the soak's pace (same parents at once, same think times).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time

import httpx

from benchmarks.inbound_apps import PATH, SECRET
from benchmarks.serve import uvicorn
from benchmarks.soak_parents import telegram_script


def ceiling(url: str, parents: int, seconds: float, think: tuple[float, float]) -> list[float]:
    """Each webhook's seconds against the ceiling app, for `seconds`."""
    with uvicorn(
        "benchmarks.inbound_apps:ceiling", {"BENCH_DATABASE_URL": url}, factory=True
    ) as origin:
        return asyncio.run(_drive(origin, parents, seconds, think))


async def _drive(
    origin: str, parents: int, seconds: float, think: tuple[float, float]
) -> list[float]:
    latencies: list[float] = []
    updates = itertools.count(1)
    deadline = time.monotonic() + seconds
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    limits = httpx.Limits(max_connections=parents, max_keepalive_connections=parents)
    async with httpx.AsyncClient(base_url=origin, headers=headers, limits=limits) as client:

        async def parent(n: int) -> None:
            rng = random.Random(n)
            chat = 730_000_000 + n * 1000
            while time.monotonic() < deadline:
                chat += 1
                for update in telegram_script(chat, rng, updates):
                    started = time.perf_counter()
                    (await client.post(PATH, json=update)).raise_for_status()
                    latencies.append(time.perf_counter() - started)
                    await asyncio.sleep(rng.uniform(*think))
                    if time.monotonic() >= deadline:
                        return

        await asyncio.gather(*(parent(n) for n in range(parents)))
    return latencies
