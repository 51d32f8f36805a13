"""The Twilio webhooks: incoming SMS and delivery status callbacks, signed with the auth token."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qsl

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.request_validator import RequestValidator

from conversations.types import Channel, InboundKind, InboundMessage
from webhooks.limits import read_body
from webhooks.ports import AsyncInboundPort, StatusPort, Unavailable

SIGNATURE_HEADER = "X-Twilio-Signature"
SMS_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/status"
FORM_TYPE = "application/x-www-form-urlencoded"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
OPT_OUT_TYPES = ("STOP", "START", "HELP")
RETRY_AFTER = {"Retry-After": "5"}


def form_to_inbound(form: Mapping[str, str], received_at: datetime) -> InboundMessage:
    """The SMS in a Twilio incoming-message webhook form; ValueError when it names none."""
    sid = (form.get("MessageSid") or "").strip()
    sender = (form.get("From") or "").strip()
    if not sid:
        raise ValueError("MessageSid is missing")
    if not sender:
        raise ValueError("From is missing")
    text = form.get("Body") or ""
    kind = InboundKind.TEXT
    try:
        media = int((form.get("NumMedia") or "0").strip())
    except ValueError:
        media = 0  # Twilio always sends a count; a garbled one does not lose the message
    if media > 0 and not text.strip():
        kind = InboundKind.MEDIA
    # Advanced Opt-Out recognised a keyword (in any of its configured words or languages):
    # pass the canonical word on, so our keyword handling sees the opt-out whatever was typed.
    opt_out = (form.get("OptOutType") or "").strip().upper()
    if opt_out in OPT_OUT_TYPES:
        kind, text = InboundKind.TEXT, opt_out
    return InboundMessage(
        channel=Channel.SMS,
        address=sender,
        provider_id=sid,
        received_at=received_at,
        kind=kind,
        text=text,
    )


def _signed_url(public_base_url: str, request: Request) -> str:
    """The URL Twilio signed: our public origin, not what a proxy forwarded to us."""
    query = request.url.query
    return public_base_url.rstrip("/") + request.url.path + ("?" + query if query else "")


def twilio_router(
    inbound: AsyncInboundPort,
    status: StatusPort,
    auth_token: str | None,
    public_base_url: str | None,
    previous_auth_token: str | None = None,
) -> APIRouter:
    """`POST /webhooks/twilio/sms` and `/status`; both refuse everything (403) until configured.

    A signature made with `previous_auth_token` is accepted too while it is set: during a
    rotation Twilio signs with the old token until the new one is promoted (docs/operations.md).
    """
    router = APIRouter()
    validators = [
        RequestValidator(token) for token in (auth_token, previous_auth_token) if token
    ]

    def signed(url: str, params: dict[str, str], signature: str) -> bool:
        # RequestValidator compares in constant time; try every token, without an early exit.
        results = [bool(v.validate(url, params, signature)) for v in validators]
        return any(results)

    async def signed_form(request: Request) -> dict[str, str]:
        """The form fields of a request Twilio signed; raises the HTTP refusal otherwise."""
        if not auth_token or not public_base_url:
            raise HTTPException(status_code=403, detail="Twilio webhooks are not configured")
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != FORM_TYPE:
            raise HTTPException(status_code=415, detail=f"expected {FORM_TYPE}")
        body = await read_body(request)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(status_code=400, detail="form is not UTF-8") from None
        params = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=False))
        signature = request.headers.get(SIGNATURE_HEADER, "")
        url = _signed_url(public_base_url, request)
        if not signed(url, params, signature):
            raise HTTPException(status_code=403, detail="invalid Twilio signature")
        return params

    @router.post(SMS_PATH, include_in_schema=False)
    async def twilio_sms(request: Request) -> Response:
        form = await signed_form(request)
        try:
            message = form_to_inbound(form, datetime.now(UTC))
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        try:
            await inbound.receive(message)
        except Unavailable:
            return Response(status_code=503, headers=RETRY_AFTER)
        return Response(content=EMPTY_TWIML, media_type="text/xml")

    @router.post(STATUS_PATH, include_in_schema=False)
    async def twilio_status(request: Request) -> Response:
        form = await signed_form(request)
        received_at = datetime.now(UTC)
        sid = (form.get("MessageSid") or "").strip()
        state = (form.get("MessageStatus") or "").strip().lower()
        if not sid or not state:
            raise HTTPException(status_code=400, detail="MessageSid and MessageStatus are required")
        error_code = form.get("ErrorCode") or None
        try:
            await run_in_threadpool(status.record_status, sid, state, error_code, received_at)
        except Unavailable:
            return Response(status_code=503, headers=RETRY_AFTER)
        return Response(status_code=204)

    return router
