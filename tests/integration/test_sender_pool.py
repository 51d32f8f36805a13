"""More sends at once than the Telegram sender has connections: they queue, none fails.

The dispatcher sends a claimed batch (up to 100) at once over a pool of 64 connections. With
python-telegram-bot's default pool timeout (1 s), on a loaded machine the sends beyond the
pool gave up with "Pool timeout … Request was not sent" and went back to the outbox for a
5-second backoff (26 at once in benchmarks/soak.py). Waiting for a free connection is right.
"""

from __future__ import annotations

import asyncio

from bot.senders import Outcome, SendResult, TelegramSender
from conversations.types import OutgoingMessage
from tests.conftest import TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegram


def test_sends_beyond_the_pool_wait_for_a_connection_instead_of_failing(
    fake_telegram: FakeTelegram,
) -> None:
    fake_telegram.latency = 1.5  # each answer holds its connection longer than PTB's 1 s
    sender = TelegramSender(TELEGRAM_TOKEN, fake_telegram.origin, pool_size=1)
    hello = OutgoingMessage("Hello", ("en",)).to_json()

    async def three_at_once() -> list[SendResult]:
        try:
            return list(
                await asyncio.gather(*(sender.send(str(700900710 + n), hello) for n in range(3)))
            )
        finally:
            await sender.close()

    results = asyncio.run(three_at_once())
    assert [r.outcome for r in results] == [Outcome.SENT] * 3, [r.error_detail for r in results]
    assert len(fake_telegram.sent_messages()) == 3  # each sent once
