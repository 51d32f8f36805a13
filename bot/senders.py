"""Channel senders: the real python-telegram-bot and twilio clients, and what their errors mean."""

from __future__ import annotations

import contextlib
import logging
import os
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

import aiohttp
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram import error as tg_error
from telegram.request import BaseRequest
from twilio.base.exceptions import TwilioException, TwilioRestException

from bot.telegram_request import AiohttpRequest, LeanBot
from bot.twilio_async import LoopClient
from conversations.render import render_sms, render_telegram
from conversations.sms import count_segments
from conversations.types import OutgoingMessage
from storage.outbox import (
    BUTTON_ACK,
    DOCUMENT,
    MAX_CAPTION_LENGTH,
    TEXT,
    document_of,
    payload_type,
)

log = logging.getLogger(__name__)

# Opt in to PTB 22's timedelta durations now (RetryAfter.retry_after); `_seconds` takes both.
os.environ.setdefault("PTB_TIMEDELTA", "true")

TWILIO_OPTED_OUT = "21610"
TWILIO_INVALID_NUMBERS = {"21211", "21214", "21407", "21408", "21612", "21614"}
CHECK = "\u2713"
UNSUPPORTED = "unsupported"  # error_code of a payload the channel cannot carry


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a 429, a 5xx or a network error: try again later
    FAILED = "failed"  # permanent: never retried


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    provider_message_id: str | None = None
    delivery_status: str | None = None
    segments: int | None = None
    retry_after: float | None = None
    error_code: str | None = None
    error_detail: str | None = None
    unreachable: bool = False  # this address cannot be reached: blocked bot, invalid number
    opted_out: bool = False  # the provider says the person opted out (Twilio 21610)


class Sender(Protocol):
    channel: str

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult: ...

    async def close(self) -> None: ...


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Sends through `telegram.Bot`; `api_base_url` also serves self-hosted Bot API servers."""

    channel = "telegram"

    def __init__(
        self,
        token: str,
        api_base_url: str | None = None,
        pool_size: int = 16,
        request: BaseRequest | None = None,
    ) -> None:
        base = f"{api_base_url.rstrip('/')}/bot" if api_base_url else "https://api.telegram.org/bot"
        self.bot = LeanBot(
            token,
            base_url=base,
            request=request or AiohttpRequest(connection_pool_size=pool_size, read_timeout=15),
        )
        self._ready = False

    async def _start(self) -> None:
        if not self._ready:
            await self.bot.initialize()
            self._ready = True

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        try:
            await self._start()
            kind = payload_type(payload)
            if kind == BUTTON_ACK:
                return await self._acknowledge(address, payload)
            if kind == DOCUMENT:
                return await self._send_document(address, payload)
            return await self._send_message(address, OutgoingMessage.from_json(payload))
        except tg_error.RetryAfter as error:
            return SendResult(
                Outcome.RETRY, retry_after=_seconds(error.retry_after), error_code="429"
            )
        except tg_error.Forbidden as error:
            return SendResult(
                Outcome.FAILED, error_code="403", error_detail=error.message[:200], unreachable=True
            )
        except tg_error.BadRequest as error:
            gone = "chat not found" in error.message.lower()
            return SendResult(
                Outcome.FAILED, error_code="400", error_detail=error.message[:200], unreachable=gone
            )
        except (tg_error.NetworkError, tg_error.TimedOut, tg_error.InvalidToken) as error:
            return SendResult(Outcome.RETRY, error_code="network", error_detail=str(error)[:200])
        except tg_error.TelegramError as error:
            return SendResult(Outcome.RETRY, error_code="telegram", error_detail=str(error)[:200])

    async def _send_message(self, address: str, message: OutgoingMessage) -> SendResult:
        rendering = render_telegram(message)
        markup = None
        if rendering.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                    for row in rendering.buttons
                ]
            )
        sent = await self.bot.send_text(int(address), rendering.text, markup)
        return SendResult(Outcome.SENT, str(sent), delivery_status="sent")

    async def _send_document(self, address: str, payload: dict[str, Any]) -> SendResult:
        """A file (an event's .ics) with its caption, plain text like every message."""
        try:
            document = document_of(payload)
        except ValueError as error:  # a broken row never gets better: do not retry it
            return SendResult(Outcome.FAILED, error_code="malformed", error_detail=str(error)[:200])
        caption = unicodedata.normalize("NFC", document.caption)[:MAX_CAPTION_LENGTH]
        sent = await self.bot.send_document(
            chat_id=int(address),
            document=InputFile(document.content, filename=document.filename),
            caption=caption or None,
        )
        return SendResult(Outcome.SENT, str(sent.message_id), delivery_status="sent")

    async def _acknowledge(self, address: str, payload: dict[str, Any]) -> SendResult:
        """Stop the button's spinner, then show the choice where the keyboard was."""
        # A query older than a few minutes cannot be answered; the edit below still helps.
        with contextlib.suppress(tg_error.BadRequest):
            await self.bot.answer_callback_query(payload["query_id"])
        message_id = payload.get("message_id")
        if message_id is None:
            return SendResult(Outcome.SENT, delivery_status="sent")
        try:
            if payload.get("text") and payload.get("label"):
                await self.bot.edit_message_text(
                    chat_id=int(address),
                    message_id=int(message_id),
                    text=f"{payload['text']}\n\n{CHECK} {payload['label']}"[:4096],
                )
            else:
                await self.bot.edit_message_reply_markup(
                    chat_id=int(address), message_id=int(message_id), reply_markup=None
                )
        except tg_error.BadRequest:
            pass  # already edited, or too old to edit: nothing to retry
        return SendResult(Outcome.SENT, delivery_status="sent")

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()
            self._ready = False


class TwilioSender:
    """Sends through `twilio.rest.Client` (its asyncio client), a status callback on every SMS."""

    channel = "sms"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None,
        messaging_service_sid: str | None,
        status_callback: str | None,
        api_base_url: str | None = None,
    ) -> None:
        self.client = LoopClient(account_sid, auth_token, api_base_url)
        self.sender: dict[str, str] = (
            {"messaging_service_sid": messaging_service_sid}
            if messaging_service_sid
            else {"from_": from_number or ""}
        )
        self.status_callback = status_callback

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        kind = payload_type(payload)
        if kind != TEXT:  # never retried, and the number stays reachable
            reason = "SMS cannot carry files" if kind == DOCUMENT else f"SMS cannot carry a {kind}"
            return SendResult(Outcome.FAILED, error_code=UNSUPPORTED, error_detail=reason)
        body = render_sms(OutgoingMessage.from_json(payload))
        extra: dict[str, str] = dict(self.sender)
        if self.status_callback:
            extra["status_callback"] = self.status_callback
        try:
            created = await self.client.get().messages.create_async(to=address, body=body, **extra)
        except TwilioRestException as error:
            return _classify_twilio(error)
        except TwilioException as error:
            return SendResult(Outcome.RETRY, error_code="network", error_detail=str(error)[:200])
        except (OSError, aiohttp.ClientError) as error:
            return SendResult(Outcome.RETRY, error_code="network", error_detail=str(error)[:200])
        segments = int(created.num_segments) if created.num_segments else None
        return SendResult(
            Outcome.SENT,
            provider_message_id=created.sid,
            delivery_status=str(created.status or "queued"),
            segments=segments or count_segments(body).segments,
        )

    async def close(self) -> None:
        await self.client.close()


def _classify_twilio(error: TwilioRestException) -> SendResult:
    code = str(error.code) if error.code is not None else str(error.status)
    detail = (error.msg or "")[:200]
    if code == TWILIO_OPTED_OUT:
        return SendResult(Outcome.FAILED, error_code=code, error_detail=detail, opted_out=True)
    if code in TWILIO_INVALID_NUMBERS:
        return SendResult(Outcome.FAILED, error_code=code, error_detail=detail, unreachable=True)
    if error.status == 429 or error.status >= 500 or code in {"20429", "21611"}:
        return SendResult(Outcome.RETRY, error_code=code, error_detail=detail)
    return SendResult(Outcome.FAILED, error_code=code, error_detail=detail)
