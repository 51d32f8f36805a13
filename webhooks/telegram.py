"""The Telegram webhook: authenticate, bound, parse, then hand the update to the inbound port."""

from __future__ import annotations

import hmac
import json
import logging
import re
import warnings
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.warnings import PTBDeprecationWarning

from conversations.types import ButtonPress, Channel, InboundKind, InboundMessage
from webhooks.limits import read_body
from webhooks.ports import AsyncInboundPort, Unavailable

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
PATH = "/webhooks/telegram"
JSON_TYPE = "application/json"
CALLBACK_DATA_LIMIT = 64  # bytes: Telegram refuses longer data on the buttons it sends us

_START = re.compile(r"/start(?:@[A-Za-z0-9_]+)?(?:\s+(.*))?", re.DOTALL)
_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")
_MEDIA_FIELDS = (
    "photo",
    "voice",
    "sticker",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "contact",
    "poll",
    "dice",
)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse(data: dict[str, Any]) -> Update:
    # PTB's de_json trusts its input: a wrong shape surfaces as TypeError, KeyError,
    # AttributeError, OverflowError, RecursionError, ... Any of them means "not an update".
    # Deprecated fields (e.g. a quiz poll's `correct_option_id`) make PTB warn; that is not
    # our caller's problem, so those warnings are silenced for the parse only.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            return Update.de_json(data, bot=None)
    except Exception as exc:
        raise ValueError(f"not a Telegram update ({type(exc).__name__})") from exc


def _private_chat_id(message: object) -> str | None:
    """The chat id of a message in a private chat, as a string; None for any other chat."""
    if not isinstance(message, Message):
        return None
    chat = message.chat
    if not isinstance(chat, Chat):  # PTB accepts a message without its (required) chat
        raise ValueError("message has no chat")
    if chat.type != ChatType.PRIVATE:
        return None
    chat_id = chat.id
    if not _is_int(chat_id):
        raise ValueError("chat id is not an integer")
    return str(chat_id)


def start_payload(text: str) -> tuple[bool, str | None]:
    """Whether `text` is a /start command, and its deep-link payload when that is well formed."""
    match = _START.fullmatch(text.strip())
    if match is None:
        return False, None
    rest = (match.group(1) or "").strip()
    return True, rest if _PAYLOAD.fullmatch(rest) else None


def _from_message(message: Message, address: str, base: dict[str, Any]) -> InboundMessage | None:
    text = message.text
    if text is not None:
        if not isinstance(text, str):
            raise ValueError("message text is not a string")
        is_start, payload = start_payload(text)
        if is_start:
            return InboundMessage(**base, address=address, kind=InboundKind.START, payload=payload)
        return InboundMessage(**base, address=address, kind=InboundKind.TEXT, text=text)
    if any(getattr(message, name, None) for name in _MEDIA_FIELDS):
        return InboundMessage(**base, address=address, kind=InboundKind.MEDIA)
    return None


def _button_label(markup: object, data: str) -> str | None:
    if not isinstance(markup, InlineKeyboardMarkup):
        return None
    for row in markup.inline_keyboard:
        for button in row if isinstance(row, tuple | list) else ():
            if getattr(button, "callback_data", None) == data:
                label = getattr(button, "text", None)
                return label if isinstance(label, str) else None
    return None


def _from_callback(query: CallbackQuery, base: dict[str, Any]) -> InboundMessage | None:
    message = query.message
    address = _private_chat_id(message)
    if address is None or not isinstance(message, Message):
        return None  # an inline-mode button, or a button in a group
    data = query.data
    if data is None or data == "":
        return None
    if not isinstance(data, str):
        raise ValueError("callback data is not a string")
    if len(data.encode("utf-8", "surrogatepass")) > CALLBACK_DATA_LIMIT:
        return None  # no button of ours carries that much: not a press we offered
    if not isinstance(query.id, str) or not query.id:
        raise ValueError("callback query id is not a string")
    message_id = message.message_id if _is_int(message.message_id) else None
    message_text = message.text if isinstance(message.text, str) else None
    press = ButtonPress(
        query_id=query.id,
        message_id=message_id,
        message_text=message_text,
        label=_button_label(message.reply_markup, data),
    )
    return InboundMessage(
        **base, address=address, kind=InboundKind.CHOICE, choice_id=data, press=press
    )


def update_to_inbound(data: dict[str, Any], received_at: datetime) -> InboundMessage | None:
    """The parent's message in a Telegram update, or None for updates the bot ignores.

    Only private chats count: a text (or /start, with its deep-link payload), a media message
    the bot cannot read, or a pressed inline button. Edits, channel posts, groups, membership
    changes and every other update type are None. Raises ValueError, never anything else, when
    `data` is not a well-formed update.
    """
    if not isinstance(data, dict):
        raise ValueError("update is not a JSON object")
    update_id = data.get("update_id")
    if not _is_int(update_id):
        raise ValueError("update_id is missing or not an integer")
    update = _parse(data)
    base: dict[str, Any] = {
        "channel": Channel.TELEGRAM,
        "provider_id": str(update_id),
        "received_at": received_at,
    }
    try:
        if update.message is not None:
            address = _private_chat_id(update.message)
            if address is None:
                return None
            return _from_message(update.message, address, base)
        if update.callback_query is not None:
            return _from_callback(update.callback_query, base)
    except ValueError:
        raise
    except Exception as exc:  # a parsed object with fields of the wrong type
        raise ValueError(f"not a Telegram update ({type(exc).__name__})") from exc
    return None


def _secret_matches(accepted: tuple[str, ...], given: str | None) -> bool:
    """Whether `given` is one of the accepted secrets, compared in constant time."""
    if given is None:
        return False
    given_secret = given.encode("utf-8")
    # Compare with every secret (no early exit), so the time does not say which one matched.
    matches = [hmac.compare_digest(secret.encode("utf-8"), given_secret) for secret in accepted]
    return any(matches)


def telegram_router(
    inbound: AsyncInboundPort, secret: str | None, previous_secret: str | None = None
) -> APIRouter:
    """`POST /webhooks/telegram`, refusing everything (403) while `secret` is unset.

    `previous_secret`, while set, is accepted too: during a rotation Telegram may still send
    the old one until `setWebhook` has been called with the new (docs/operations.md).
    """
    router = APIRouter()
    accepted = tuple(s for s in (secret, previous_secret if secret else None) if s)

    @router.post(PATH, include_in_schema=False)
    async def telegram_webhook(request: Request) -> JSONResponse:
        if not _secret_matches(accepted, request.headers.get(SECRET_HEADER)):
            return JSONResponse({"ok": False}, status_code=403)
        media_type = request.headers.get("content-type", JSON_TYPE).split(";", 1)[0]
        if media_type.strip().lower() != JSON_TYPE:
            return JSONResponse({"ok": False, "error": f"expected {JSON_TYPE}"}, status_code=415)
        body = await read_body(request)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):  # bad JSON, bad UTF-8, absurd nesting
            return JSONResponse({"ok": False, "error": "malformed JSON"}, status_code=400)
        if not isinstance(data, dict):
            return JSONResponse({"ok": False, "error": "not a JSON object"}, status_code=400)
        update_id = data.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return JSONResponse({"ok": False, "error": "no update_id"}, status_code=400)
        try:
            message = update_to_inbound(data, datetime.now(UTC))
        except ValueError as exc:
            # Authentic but unreadable (a newer Bot API shape, say): a 4xx would only make
            # Telegram retry it for a day and hold up what comes after, so take it and move on.
            log.warning("ignored Telegram update %s: %s", update_id, exc)
            return JSONResponse({"ok": True, "ignored": True})
        if message is None:
            return JSONResponse({"ok": True, "ignored": True})
        try:
            await inbound.receive(message)
        except Unavailable:
            return JSONResponse({"ok": False}, status_code=503, headers={"Retry-After": "5"})
        return JSONResponse({"ok": True})

    return router
