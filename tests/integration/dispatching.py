"""Driving the real dispatcher against the fake providers, a second at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.container import Container
from bot.dispatcher import Dispatcher, DispatchPolicy
from bot.senders import TelegramSender, TwilioSender
from tests.conftest import TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 10:00 in London: not quiet hours


def run_dispatcher(dispatcher: Dispatcher, seconds: int = 60) -> None:
    """Replay `seconds` of dispatching, a second at a time, then close the senders."""

    async def go() -> None:
        try:
            for second in range(seconds):
                await dispatcher.drain(NOW + timedelta(seconds=second))
        finally:
            await dispatcher.close()

    asyncio.run(go())


def telegram_dispatcher(container: Container, fake: FakeTelegram) -> Dispatcher:
    sender = TelegramSender(TELEGRAM_TOKEN, fake.origin)
    return Dispatcher(container.sessions, {"telegram": sender}, DispatchPolicy())


def sms_dispatcher(container: Container, fake: FakeTwilio) -> Dispatcher:
    callback = "https://bot.example.org/webhooks/twilio/status"
    sender = TwilioSender(TWILIO_SID, TWILIO_AUTH, "+447700900000", None, callback, fake.origin)
    return Dispatcher(container.sessions, {"sms": sender}, DispatchPolicy())
