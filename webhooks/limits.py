"""Request body limits shared by the webhooks: nothing over 1 MiB is read, let alone stored."""

from __future__ import annotations

import re

from fastapi import HTTPException, Request

from conversations.types import ButtonPress, InboundMessage

MAX_BODY = 1024 * 1024
# NUL, which PostgreSQL text cannot hold, and lone UTF-16 surrogates (JSON's "\ud800"), which
# are not UTF-8 at all: no parent types either, and either would fail the insert.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refused with 413 once it is known to exceed `limit` bytes.

    A declared Content-Length over the limit is refused before anything is read; the stream is
    counted too, so a chunked upload (no Content-Length) or a lying header is cut off as soon as
    it passes the limit instead of being buffered whole.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared.strip())
        except ValueError:
            raise HTTPException(status_code=400, detail="invalid Content-Length") from None
        if size < 0:
            raise HTTPException(status_code=400, detail="invalid Content-Length")
        if size > limit:
            raise HTTPException(status_code=413, detail="request body too large")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise HTTPException(status_code=413, detail="request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def storable_text(text: str) -> str:
    """`text` with what no database column can hold replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


def storable(message: InboundMessage) -> InboundMessage:
    """The message with every text field, its button press's too, made storable."""
    press = message.press
    if press is not None:
        press = ButtonPress(
            press.query_id and storable_text(press.query_id),
            press.message_id,
            press.message_text and storable_text(press.message_text),
            press.label and storable_text(press.label),
        )
    return InboundMessage(
        channel=message.channel,
        address=storable_text(message.address),
        provider_id=storable_text(message.provider_id),
        received_at=message.received_at,
        kind=message.kind,
        text=storable_text(message.text),
        choice_id=message.choice_id and storable_text(message.choice_id),
        payload=message.payload and storable_text(message.payload),
        press=press,
    )
