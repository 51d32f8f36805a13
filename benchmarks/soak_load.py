"""The soak's data and staff: seeded households, an API token, and the broadcasts it sends.

Households come from `benchmarks/households.py` (Feltham, Telegram); here their addresses
become numeric chat ids (the sender passes `int(address)`), their next tips move a month out
(the seed's slots are in March, so the first clock pass would otherwise tip everyone at once),
and the id sequences move past the explicit ids the seed wrote.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import text

from admin.auth import StaffIdentity
from benchmarks.households import fresh_container, populate
from bot.desks.tokens import TokensDesk

ROOT = Path(__file__).resolve().parents[1]
ADMIN = StaffIdentity(id=0, username="soak", role="admin", communities=(), stamp="")
HOUSEHOLD_CHAT = 720_000_000  # + contact id: obviously fake Telegram chat ids


@dataclass(frozen=True)
class Seeded:
    children: int
    api_token: str


def prepare(url: str, households: int) -> Seeded:
    """Empty and migrate the database, seed the households, issue an admin API token."""
    container = fresh_container(url)
    try:
        children = populate(container, households)
        with container.database.begin() as connection:
            connection.execute(
                text("UPDATE contact_identities SET address = (:base + contact_id)::text"),
                {"base": HOUSEHOLD_CHAT},
            )
            connection.execute(
                text("UPDATE contacts SET next_tip_at = :later"),
                {"later": datetime.now(UTC) + timedelta(days=30)},
            )
            for table in ("contacts", "contact_identities"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
        issued = TokensDesk(container).create_token(ADMIN, "soak", "admin", [])
        return Seeded(children, issued.secret)
    finally:
        container.close()


def _example(name: str) -> dict[str, Any]:
    """An example YAML file as the JSON an integration would send."""
    data = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
    loaded: dict[str, Any] = json.loads(json.dumps(data, default=lambda v: v.isoformat()))
    return loaded


@dataclass
class Sent:
    """One API call: what, where, when (seconds since the load began), status, messages."""

    what: str
    community: str
    at: float
    status: int
    seconds: float
    messages: int


@dataclass
class Broadcasts:
    """Every `every` seconds, the next of: a consultation or an event, in Feltham or Margate."""

    webs: list[str]
    token: str
    every: float
    sent: list[Sent] = field(default_factory=list)
    _n: itertools.count[int] = field(default_factory=itertools.count)

    async def run(self, stop: asyncio.Event) -> None:
        started = time.monotonic()
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=120) as client:
            wait = self.every / 2
            while True:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
                n = next(self._n)
                await self._one(client, n, time.monotonic() - started)
                wait = self.every

    async def _one(self, client: httpx.AsyncClient, n: int, at: float) -> None:
        community = "feltham" if n % 4 < 2 else "margate"
        web = self.webs[n % len(self.webs)]
        began = time.perf_counter()
        if n % 2 == 0:
            body = _example("consultations/play-park.yaml")
            body.update(id=f"soak-{n}", audience={"community": community})
            answer = await client.post(f"{web}/api/consultations", json=body)
            count = "recipients"
            what = "consultation"
        else:
            body = _example("events/rhyme-time.yaml")
            body.update(id=f"soak-event-{n}", community=community)
            answer = await client.post(f"{web}/api/events", json=body)
            count = "messages"
            what = "event"
        took = time.perf_counter() - began
        messages = int(answer.json().get(count, 0)) if answer.status_code < 300 else 0
        self.sent.append(Sent(what, community, at, answer.status_code, took, messages))
