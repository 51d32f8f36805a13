"""The soak's parents: scripts of Telegram updates and signed Twilio SMS webhooks, and a driver
that plays them the way people do (say something, wait for the answer, think, go on).

Each parent onboards in Margate, then sends a seeded-random mix of keywords, answers (a number
or yes: an answer when a consultation question is open, else a message for the team) and
nonsense; some end with STOP then START. Every message here gets at least one reply.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

TELEGRAM_SECRET = "soak-webhook-secret-not-real"
TWILIO_SID = "ACsoak0000000000000000000000000000"
TWILIO_AUTH = "soak-auth-token-not-real"
BOT_NUMBER = "+447700900999"
FIRST_CHAT = 710_000_000
COMMUNITY = "margate"
AFTER = ("HELP", "MYDATA", "EVENTS", "1", "2", "yes", "asdf qwerty", "what's on?", "TIPS", "hi")
REPLY_TIMEOUT = 15.0
# A parent reads the whole answer before replying: the bot sends a chat's messages at least a
# second apart (storage/delivery.py CHAT_GAP), so the answer is complete after a quiet 1.2 s.
SETTLED = 1.2


@dataclass
class Posted:
    """One webhook call: who, when (wall clock), how long it took, and the HTTP status."""

    channel: str
    address: str
    at: float
    seconds: float
    status: int  # 0: no answer at all (connection error)


@dataclass
class Board:
    """What the fake provider has received so far, and the parents waiting on it."""

    calls: list[list[Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    query_chat: dict[str, str] = field(default_factory=dict)  # callback query id -> chat
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def follow(self, fake: str, stop: asyncio.Event) -> None:
        """Fetch new calls from the fake every 50 ms until `stop`, waking waiting parents."""
        async with httpx.AsyncClient(base_url=fake, timeout=30) as client:
            while True:
                got = (await client.get("/soak/calls", params={"since": len(self.calls)})).json()
                for call in got["calls"]:
                    self.calls.append(call)
                    key = self.query_chat.get(call[1], call[1])
                    self.counts[key] += 1
                if got["calls"]:
                    async with self.changed:
                        self.changed.notify_all()
                if stop.is_set():
                    return
                await asyncio.sleep(0.05)

    async def wait_beyond(self, address: str, seen: int, timeout: float) -> bool:
        """Wait until the fake has more calls for `address` than `seen`."""
        try:
            async with asyncio.timeout(timeout), self.changed:
                await self.changed.wait_for(lambda: self.counts[address] > seen)
            return True
        except TimeoutError:
            return False


def telegram_script(chat: int, rng: random.Random, updates: itertools.count[int]) -> list[Any]:
    """Onboarding as Telegram sends it (buttons as callback queries), then the mix."""
    who = {"id": chat, "is_bot": False, "first_name": "Parent"}
    where = {"id": chat, "type": "private", "first_name": "Parent"}

    def text(body: str) -> dict[str, Any]:
        n = next(updates)
        message = {"message_id": n, "date": int(time.time()), "chat": where, "from": who}
        message["text"] = body
        if body.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": 6}]
        return {"update_id": n, "message": message}

    def press(data: str) -> dict[str, Any]:
        n = next(updates)
        shown = {"message_id": n, "date": int(time.time()), "chat": where, "text": "?"}
        query = {"id": f"q{n}", "from": who, "chat_instance": "c", "data": data}
        return {"update_id": n, "callback_query": {**query, "message": shown}}

    steps = [text(f"/start {COMMUNITY}"), press("consent:yes"), press("kind:born")]
    steps += [text("1/5/2025"), text("Sam"), press("more:no"), press("confirm:yes")]
    steps += [text(word) for word in _mix(rng)]
    return steps


def sms_script(rng: random.Random) -> list[str]:
    """Onboarding by SMS (numbered options), then the mix."""
    return [COMMUNITY, "1", "2", "1/5/2025", "Sam", "2", "1", *_mix(rng)]


def _mix(rng: random.Random) -> list[str]:
    words = [rng.choice(AFTER) for _ in range(rng.randint(4, 10))]
    return words + (["STOP", "START"] if rng.random() < 0.15 else [])


@dataclass
class Traffic:
    """Plays parents side by side against the web processes until a deadline."""

    webs: list[str]
    public: str  # the PUBLIC_BASE_URL Twilio signs against
    board: Board
    seed: int = 1
    think: tuple[float, float] = (0.3, 1.5)
    posted: list[Posted] = field(default_factory=list)
    unanswered: int = 0
    dropped: list[str] = field(default_factory=list)  # connections lost mid-call, then retried
    parents: int = 0
    _updates: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _sms_numbers: itertools.cycle[int] = field(default_factory=lambda: itertools.cycle(range(999)))
    _chats: itertools.count[int] = field(default_factory=lambda: itertools.count(FIRST_CHAT))
    _validator: RequestValidator = field(default_factory=lambda: RequestValidator(TWILIO_AUTH))

    async def run(self, slots: int, deadline: float) -> None:
        """`slots` parents at a time (half on each channel) until `deadline` (monotonic)."""
        limits = httpx.Limits(max_connections=slots, max_keepalive_connections=slots)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            await asyncio.gather(
                *(self._slot(client, n, deadline) for n in range(slots)), return_exceptions=False
            )

    async def _slot(self, client: httpx.AsyncClient, n: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + n)
        web = self.webs[n % len(self.webs)]
        while time.monotonic() < deadline:
            self.parents += 1
            if n % 2 == 0:
                chat = next(self._chats)
                for update in telegram_script(chat, rng, self._updates):
                    if "callback_query" in update:
                        self.board.query_chat[update["callback_query"]["id"]] = str(chat)
                    await self._say(client, web, "telegram", str(chat), update)
                    if not await self._think(rng, deadline):
                        break
            else:
                number = f"+447700900{next(self._sms_numbers):03d}"
                for body in sms_script(rng):
                    sid = f"SM{next(self._updates):032d}"
                    await self._say(client, web, "sms", number, (body, sid))
                    if not await self._think(rng, deadline):
                        break

    async def _post(
        self, client: httpx.AsyncClient, web: str, channel: str, address: str, what: Any
    ) -> int:
        """One webhook call, the same on a retry (update id, MessageSid): a repeat is a no-op."""
        if channel == "telegram":
            headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
            answer = await client.post(f"{web}/webhooks/telegram", json=what, headers=headers)
            return answer.status_code
        form = {
            "MessageSid": what[1],
            "AccountSid": TWILIO_SID,
            "From": address,
            "To": BOT_NUMBER,
            "Body": what[0],
            "NumMedia": "0",
        }
        signature = self._validator.compute_signature(f"{self.public}/webhooks/twilio/sms", form)
        answer = await client.post(
            f"{web}/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
        )
        return answer.status_code

    async def _think(self, rng: random.Random, deadline: float) -> bool:
        await asyncio.sleep(rng.uniform(*self.think))
        return time.monotonic() < deadline

    async def _say(
        self, client: httpx.AsyncClient, web: str, channel: str, address: str, what: Any
    ) -> None:
        seen = self.board.counts[address]
        started, at = time.perf_counter(), time.time()
        status = 0
        for attempt in range(2):  # as Telegram and Twilio do, try again on a dropped connection
            try:
                status = await self._post(client, web, channel, address, what)
                break
            except httpx.TransportError as error:
                self.dropped.append(f"{type(error).__name__} (attempt {attempt + 1})")
        self.posted.append(Posted(channel, address, at, time.perf_counter() - started, status))
        if not await self.board.wait_beyond(address, seen, REPLY_TIMEOUT):
            self.unanswered += 1
            return
        for _ in range(10):  # the rest of the answer, if any
            if not await self.board.wait_beyond(address, self.board.counts[address], SETTLED):
                return
