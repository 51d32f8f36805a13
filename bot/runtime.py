"""Long-running parts: the dispatcher loop, the inbound sweeper and Telegram long polling."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from datetime import datetime

from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from telegram import error as tg_error

from bot import worker_loop
from bot.container import Container
from bot.dispatcher import Dispatcher, DispatchPolicy
from bot.inbound import DatabaseUnavailable
from bot.senders import Sender, TelegramSender, TwilioSender
from storage import delivery
from storage.db import transaction
from webhooks.telegram import update_to_inbound

log = logging.getLogger(__name__)

# An idle worker looks for new outbox rows this often: a reply waits 50 ms on average. A short
# poll, not LISTEN/NOTIFY: it needs no trigger or migration, works the same on SQLite, and an
# empty claim costs about a millisecond (benchmarks/RESULTS.md, "Scale-out on PostgreSQL").
PICKUP_POLL_SECONDS = 0.1


def build_senders(container: Container) -> dict[str, Sender]:
    """A sender per configured channel; a channel without credentials is simply off."""
    settings = container.settings
    senders: dict[str, Sender] = {}
    if settings.telegram_bot_token:
        senders["telegram"] = TelegramSender(
            settings.telegram_bot_token, settings.telegram_api_base_url
        )
    if settings.twilio_account_sid and settings.twilio_auth_token:
        callback = (
            f"{settings.public_base_url.rstrip('/')}/webhooks/twilio/status"
            if settings.public_base_url
            else None
        )
        senders["sms"] = TwilioSender(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from_number,
            settings.twilio_messaging_service_sid,
            callback,
            settings.twilio_api_base_url,
        )
    return senders


def build_dispatcher(container: Container) -> Dispatcher:
    settings = container.settings
    policy = DispatchPolicy(
        quiet_hours=settings.quiet_window,
        timezone=settings.timezone,
        lease=settings.outbox_lease,
        rates={"telegram": settings.telegram_rate, "sms": settings.twilio_mps},
        max_attempts=settings.outbox_max_attempts,
        base_backoff=settings.outbox_retry_seconds,
    )
    return Dispatcher(container.sessions, build_senders(container), policy, container.clock)


def settle_heap() -> None:
    """Move what start-up made (modules, clients, settings) out of the collector's sight.

    The collector otherwise walks those hundreds of thousands of long-lived objects on every
    full collection: about a tenth of a send's CPU (benchmarks/RESULTS.md, section 2).
    """
    gc.collect()
    gc.freeze()


class StatusService:
    """Delivery statuses from Twilio's callbacks, never moving backwards."""

    def __init__(self, container: Container) -> None:
        self.sessions = container.sessions

    def record_status(
        self, provider_message_id: str, status: str, error_code: str | None, at: datetime
    ) -> bool:
        try:
            with transaction(self.sessions) as session:
                return delivery.record_status(session, provider_message_id, status, error_code, at)
        except OperationalError as error:
            raise DatabaseUnavailable(str(error.orig)[:200]) from error


async def sweep_forever(container: Container, stop: asyncio.Event, every: float = 15.0) -> None:
    """Finish inbound messages a crash left stored but unprocessed."""
    await worker_loop.every(
        "inbound sweep", stop, every, lambda: run_in_threadpool(container.inbound.sweep)
    )


async def poll_telegram(container: Container, stop: asyncio.Event, timeout: int = 25) -> None:
    """Development mode: read updates with getUpdates and feed them to the same service."""
    settings = container.settings
    assert settings.telegram_bot_token
    sender = TelegramSender(settings.telegram_bot_token, settings.telegram_api_base_url)
    bot = sender.bot
    offset: int | None = None
    async with bot:
        await bot.delete_webhook()  # getUpdates refuses to run while a webhook is set
        log.info("reading Telegram by long polling")
        while not stop.is_set():
            try:
                updates = await bot.get_updates(
                    offset=offset,
                    timeout=timeout,
                    allowed_updates=["message", "callback_query"],
                )
            except (tg_error.NetworkError, tg_error.TimedOut):
                await asyncio.sleep(1)
                continue
            for update in updates:
                message = update_to_inbound(update.to_dict(), container.clock())
                if message is not None:
                    try:
                        await run_in_threadpool(container.inbound.receive, message)
                    except DatabaseUnavailable:
                        await asyncio.sleep(2)
                        break  # the same updates come again: offset not advanced
                offset = update.update_id + 1


async def run_workers(container: Container, stop: asyncio.Event, poll: bool) -> None:
    """The dispatcher and the sweeper, plus long polling when asked; until `stop` is set."""
    dispatcher = build_dispatcher(container)
    settings = container.settings
    settle_heap()
    tasks = [
        asyncio.create_task(
            worker_loop.dispatch_forever(dispatcher, stop, idle_sleep=PICKUP_POLL_SECONDS)
        ),
        asyncio.create_task(sweep_forever(container, stop, settings.inbound_sweep_seconds)),
    ]
    if poll:
        tasks.append(asyncio.create_task(poll_telegram(container, stop)))
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await dispatcher.close()
