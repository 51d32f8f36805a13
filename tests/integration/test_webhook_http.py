"""The webhook routes over HTTP: authentication, limits, parsing and the answers providers see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from conversations.types import Channel, InboundKind, InboundMessage
from webhooks.limits import MAX_BODY
from webhooks.ports import InThread, Unavailable
from webhooks.telegram import telegram_router
from webhooks.twilio import twilio_router

SECRET = "test-webhook-secret"
TOKEN = "test-auth-token-not-real"
PUBLIC = "https://bot.example.org"
TG = "/webhooks/telegram"
SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
SID = "SM0123456789abcdef0123456789abcdef"


class Outcome(StrEnum):
    PROCESSED = "processed"


@dataclass(frozen=True)
class Receipt:
    outcome: Outcome = Outcome.PROCESSED


@dataclass
class RecordingInbound:
    """Remembers every message; raises Unavailable while `down`."""

    messages: list[InboundMessage] = field(default_factory=list)
    down: bool = False
    on_event_loop: list[bool] = field(default_factory=list)

    def receive(self, message: InboundMessage) -> Receipt:
        try:
            asyncio.get_running_loop()
            self.on_event_loop.append(True)
        except RuntimeError:
            self.on_event_loop.append(False)
        if self.down:
            raise Unavailable("database unreachable")
        self.messages.append(message)
        return Receipt()


@dataclass
class RecordingStatus:
    calls: list[tuple[str, str, str | None, datetime]] = field(default_factory=list)
    down: bool = False
    known: bool = True

    def record_status(
        self, provider_message_id: str, status: str, error_code: str | None, at: datetime
    ) -> bool:
        if self.down:
            raise Unavailable("database unreachable")
        self.calls.append((provider_message_id, status, error_code, at))
        return self.known


@dataclass
class Harness:
    client: TestClient
    inbound: RecordingInbound
    status: RecordingStatus


def _app(
    inbound: RecordingInbound,
    status: RecordingStatus,
    secret: str | None = SECRET,
    token: str | None = TOKEN,
    public: str | None = PUBLIC,
) -> FastAPI:
    app = FastAPI()
    app.include_router(telegram_router(InThread(inbound), secret))
    app.include_router(twilio_router(InThread(inbound), status, token, public))
    return app


@pytest.fixture
def web() -> Iterator[Harness]:
    inbound, status = RecordingInbound(), RecordingStatus()
    with TestClient(_app(inbound, status)) as client:
        yield Harness(client, inbound, status)


# --- Telegram -----------------------------------------------------------------------------------


def _text_update(text: str = "Helo", update_id: int = 100001) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 42,
            "from": {"id": 5550001, "is_bot": False, "first_name": "Rhian"},
            "chat": {"id": 5550001, "first_name": "Rhian", "type": "private"},
            "date": 1773136800,
            "text": text,
        },
    }


def _tg(web: Harness, body: Any, secret: str | None = SECRET, **kwargs: Any) -> Any:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    if isinstance(body, bytes):
        return web.client.post(TG, content=body, headers=headers, **kwargs)
    return web.client.post(TG, json=body, headers=headers, **kwargs)


def test_right_secret_stores_the_message_once(web: Harness) -> None:
    response = _tg(web, _text_update("/start bettws"))
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    [message] = web.inbound.messages
    assert message.channel is Channel.TELEGRAM
    assert message.kind is InboundKind.START
    assert message.payload == "bettws"
    assert message.address == "5550001"
    assert message.provider_id == "100001"
    assert message.received_at.tzinfo is not None


def test_the_port_is_called_off_the_event_loop(web: Harness) -> None:
    _tg(web, _text_update())
    assert web.inbound.on_event_loop == [False]


@pytest.mark.parametrize(
    "secret",
    [None, "", "wrong-secret", SECRET + "x", SECRET[:-1], SECRET.upper()],
)
def test_wrong_or_missing_secret_is_refused(web: Harness, secret: str | None) -> None:
    response = _tg(web, _text_update(), secret=secret)
    assert response.status_code == 403
    assert response.json() == {"ok": False}
    assert web.inbound.messages == []
    assert web.inbound.on_event_loop == []


@pytest.mark.parametrize("configured", [None, ""])
def test_unset_secret_refuses_everything(configured: str | None) -> None:
    inbound, status = RecordingInbound(), RecordingStatus()
    with TestClient(_app(inbound, status, secret=configured)) as client:
        for header in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""}):
            response = client.post(TG, json=_text_update(), headers=header)
            assert response.status_code == 403
    assert inbound.messages == []


def test_wrong_secret_is_refused_before_the_body_is_read(web: Harness) -> None:
    response = _tg(web, b"x" * (MAX_BODY + 1), secret="wrong-secret")
    assert response.status_code == 403


def test_body_over_one_mebibyte_is_refused(web: Harness) -> None:
    response = _tg(web, b" " * (MAX_BODY + 1))
    assert response.status_code == 413
    assert web.inbound.messages == []


def test_chunked_body_over_one_mebibyte_is_refused(web: Harness) -> None:
    chunks = (b" " * 65536 for _ in range(MAX_BODY // 65536 + 1))
    response = _tg(web, None, content=chunks)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert response.status_code == 413
    assert web.inbound.messages == []


def test_body_of_exactly_one_mebibyte_is_accepted(web: Harness) -> None:
    body = json.dumps(_text_update()).encode()
    body += b" " * (MAX_BODY - len(body))
    assert len(body) == MAX_BODY
    assert _tg(web, body).status_code == 200
    assert len(web.inbound.messages) == 1


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b"", id="empty"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'"update"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b"\xff\xfe{", id="bad encoding"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, id="deep nesting"),
        pytest.param(b'{"message": {}}', id="no update_id"),
        pytest.param(b'{"update_id": "1"}', id="string update_id"),
    ],
)
def test_malformed_update_is_400_and_not_stored(web: Harness, body: bytes) -> None:
    response = _tg(web, body)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert web.inbound.messages == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"update_id": 1, "message": {}}', id="empty message"),
        pytest.param(b'{"update_id": 1, "message": []}', id="message is a list"),
    ],
)
def test_authentic_but_unreadable_update_is_taken_and_ignored(web: Harness, body: bytes) -> None:
    """Telegram would retry a 4xx for a day, holding up later updates: 200, nothing stored."""
    response = _tg(web, body)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": True}
    assert web.inbound.messages == []


CHAT = {"id": 5550001, "first_name": "Rhian", "type": "private"}
GROUP = {"id": -4012345678, "title": "Bettws parents", "type": "group"}
PARENT = {"id": 5550001, "is_bot": False, "first_name": "Rhian"}
BOT = {"id": 7000000001, "is_bot": True, "first_name": "ELC", "username": "elc_test_bot"}


@pytest.mark.parametrize(
    "update",
    [
        pytest.param(
            {
                "update_id": 7,
                "edited_message": {
                    **_text_update()["message"],
                    "edit_date": 1773136860,
                },
            },
            id="edited_message",
        ),
        pytest.param(
            {"update_id": 7, "message": {**_text_update()["message"], "chat": GROUP}},
            id="group",
        ),
        pytest.param(
            {
                "update_id": 7,
                "channel_post": {
                    "message_id": 9,
                    "sender_chat": {"id": -1009876543210, "title": "News", "type": "channel"},
                    "chat": {"id": -1009876543210, "title": "News", "type": "channel"},
                    "date": 1773136800,
                    "text": "Hello channel",
                },
            },
            id="channel_post",
        ),
        pytest.param(
            {
                "update_id": 7,
                "my_chat_member": {
                    "chat": CHAT,
                    "from": PARENT,
                    "date": 1773136800,
                    "old_chat_member": {"user": BOT, "status": "member"},
                    "new_chat_member": {"user": BOT, "status": "kicked", "until_date": 0},
                },
            },
            id="my_chat_member",
        ),
        pytest.param({"update_id": 7}, id="nothing"),
    ],
)
def test_ignored_updates_are_200_and_not_stored(web: Harness, update: dict[str, Any]) -> None:
    response = _tg(web, update)
    assert response.status_code == 200
    assert response.json() == {"ok": True, "ignored": True}
    assert web.inbound.messages == []


def test_button_press_reaches_the_port(web: Harness) -> None:
    update = {
        "update_id": 100002,
        "callback_query": {
            "id": "4382bfdwdsb323b2d9",
            "from": PARENT,
            "chat_instance": "-7395211380391227841",
            "data": "cy",
            "message": {
                "message_id": 77,
                "from": BOT,
                "chat": CHAT,
                "date": 1773136800,
                "text": "Which language?",
                "reply_markup": {
                    "inline_keyboard": [
                        [
                            {"text": "Cymraeg", "callback_data": "cy"},
                            {"text": "English", "callback_data": "en"},
                        ]
                    ]
                },
            },
        },
    }
    assert _tg(web, update).status_code == 200
    [message] = web.inbound.messages
    assert message.kind is InboundKind.CHOICE
    assert message.choice_id == "cy"
    assert message.press is not None
    assert message.press.label == "Cymraeg"
    assert message.press.query_id == "4382bfdwdsb323b2d9"


def test_unavailable_store_is_503_with_retry_after(web: Harness) -> None:
    web.inbound.down = True
    response = _tg(web, _text_update())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert web.inbound.messages == []


# --- Twilio -------------------------------------------------------------------------------------


def _sms_form(**fields: str) -> dict[str, str]:
    form = {
        "ToCountry": "GB",
        "SmsMessageSid": SID,
        "NumMedia": "0",
        "SmsSid": SID,
        "SmsStatus": "received",
        "Body": "feltham hi",
        "FromCountry": "GB",
        "To": "+447700900001",
        "NumSegments": "1",
        "MessageSid": SID,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": "+447700900101",
        "ApiVersion": "2010-04-01",
    }
    form.update(fields)
    return form


def _sign(url: str, params: dict[str, str], token: str = TOKEN) -> str:
    signature: str = RequestValidator(token).compute_signature(url, params)
    return signature


def _post_signed(
    web: Harness,
    path: str,
    params: dict[str, str],
    signed_url: str | None = None,
    **headers: str,
) -> Any:
    signature = _sign(signed_url or PUBLIC + path, params)
    return web.client.post(path, data=params, headers={"X-Twilio-Signature": signature, **headers})


def test_signed_sms_is_stored_and_answered_with_empty_twiml(web: Harness) -> None:
    # The client talks to http://testserver; Twilio signed the public https URL.
    assert str(web.client.base_url) == "http://testserver"
    response = _post_signed(web, SMS, _sms_form())
    assert response.status_code == 200
    assert response.text == TWIML
    assert response.headers["content-type"].startswith("text/xml")
    [message] = web.inbound.messages
    assert message.channel is Channel.SMS
    assert message.address == "+447700900101"
    assert message.provider_id == SID
    assert message.text == "feltham hi"
    assert message.kind is InboundKind.TEXT
    assert web.inbound.on_event_loop == [False]


def test_signature_over_the_internal_url_is_refused(web: Harness) -> None:
    response = _post_signed(web, SMS, _sms_form(), signed_url="http://testserver" + SMS)
    assert response.status_code == 403
    assert web.inbound.messages == []


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"X-Twilio-Signature": ""}, id="empty"),
        pytest.param({"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}, id="wrong"),
        pytest.param(
            {"X-Twilio-Signature": _sign(PUBLIC + SMS, _sms_form(), token="another-token")},
            id="other token",
        ),
    ],
)
def test_bad_signature_is_refused(web: Harness, headers: dict[str, str]) -> None:
    response = web.client.post(SMS, data=_sms_form(), headers=headers)
    assert response.status_code == 403
    assert web.inbound.messages == []


def test_tampered_form_is_refused(web: Harness) -> None:
    signature = _sign(PUBLIC + SMS, _sms_form())
    response = web.client.post(
        SMS, data=_sms_form(Body="STOP"), headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    assert web.inbound.messages == []


def test_query_string_is_part_of_what_is_signed(web: Harness) -> None:
    path = SMS + "?community=bettws&v=2"
    assert _post_signed(web, path, _sms_form(), signed_url=PUBLIC + path).status_code == 200
    # the same signature without the query, or the query changed, is refused
    signature = _sign(PUBLIC + SMS, _sms_form())
    response = web.client.post(path, data=_sms_form(), headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    signature = _sign(PUBLIC + path, _sms_form())
    response = web.client.post(
        SMS + "?community=feltham&v=2",
        data=_sms_form(),
        headers={"X-Twilio-Signature": signature},
    )
    assert response.status_code == 403
    assert len(web.inbound.messages) == 1


def test_public_base_url_with_trailing_slash() -> None:
    inbound, status = RecordingInbound(), RecordingStatus()
    with TestClient(_app(inbound, status, public=PUBLIC + "/")) as client:
        signature = _sign(PUBLIC + SMS, _sms_form())
        response = client.post(SMS, data=_sms_form(), headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200
    assert len(inbound.messages) == 1


@pytest.mark.parametrize(
    ("token", "public"),
    [(None, PUBLIC), ("", PUBLIC), (TOKEN, None), (TOKEN, "")],
)
def test_unconfigured_twilio_refuses_everything(token: str | None, public: str | None) -> None:
    inbound, status = RecordingInbound(), RecordingStatus()
    with TestClient(_app(inbound, status, token=token, public=public)) as client:
        signature = _sign(PUBLIC + SMS, _sms_form(), token=token or TOKEN)
        for path in (SMS, STATUS):
            response = client.post(
                path, data=_sms_form(), headers={"X-Twilio-Signature": signature}
            )
            assert response.status_code == 403
    assert inbound.messages == []
    assert status.calls == []


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data"])
def test_wrong_content_type_is_415(web: Harness, content_type: str) -> None:
    params = _sms_form()
    response = web.client.post(
        SMS,
        content=json.dumps(params).encode(),
        headers={"Content-Type": content_type, "X-Twilio-Signature": _sign(PUBLIC + SMS, params)},
    )
    assert response.status_code == 415
    assert web.inbound.messages == []


def test_content_type_with_charset_is_accepted(web: Harness) -> None:
    response = _post_signed(
        web,
        SMS,
        _sms_form(),
        **{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert response.status_code == 200


def test_missing_message_sid_is_400(web: Harness) -> None:
    params = {k: v for k, v in _sms_form().items() if k != "MessageSid"}
    assert _post_signed(web, SMS, params).status_code == 400
    assert web.inbound.messages == []


def test_form_that_is_not_utf8_is_400(web: Harness) -> None:
    response = web.client.post(
        SMS,
        content=b"MessageSid=SM1&From=%2B447700900101&Body=\xff",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": "anything",
        },
    )
    assert response.status_code == 400
    assert web.inbound.messages == []


def test_sms_body_over_one_mebibyte_is_refused(web: Harness) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = web.client.post(SMS, content=b"a" * (MAX_BODY + 1), headers=headers)
    assert response.status_code == 413
    chunks = (b"a" * 65536 for _ in range(MAX_BODY // 65536 + 1))
    response = web.client.post(SMS, content=chunks, headers=headers)
    assert response.status_code == 413
    assert web.inbound.messages == []


def test_sms_picture_and_opt_out(web: Harness) -> None:
    picture = _sms_form(
        MessageSid="SM0000000000000000000000000000000a",
        Body="",
        NumMedia="1",
        MediaContentType0="image/jpeg",
        MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
    )
    opt_out = _sms_form(
        MessageSid="SM0000000000000000000000000000000b", Body="Unsubscribe", OptOutType="STOP"
    )
    assert _post_signed(web, SMS, picture).status_code == 200
    assert _post_signed(web, SMS, opt_out).status_code == 200
    first, second = web.inbound.messages
    assert first.kind is InboundKind.MEDIA
    assert (second.kind, second.text) == (InboundKind.TEXT, "STOP")


def test_repeated_form_keys_last_wins(web: Harness) -> None:
    body = "MessageSid=SM1&From=%2B447700900101&Body=first&Body=second"
    params = {"MessageSid": "SM1", "From": "+447700900101", "Body": "second"}
    response = web.client.post(
        SMS,
        content=body.encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": _sign(PUBLIC + SMS, params),
        },
    )
    assert response.status_code == 200
    assert web.inbound.messages[0].text == "second"


def test_sms_unavailable_is_503(web: Harness) -> None:
    web.inbound.down = True
    response = _post_signed(web, SMS, _sms_form())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"


# --- Twilio status callbacks --------------------------------------------------------------------


def _status_form(**fields: str) -> dict[str, str]:
    form = {
        "AccountSid": "AC00000000000000000000000000000000",
        "ApiVersion": "2010-04-01",
        "From": "+447700900001",
        "To": "+447700900101",
        "MessageSid": SID,
        "SmsSid": SID,
        "SmsStatus": "delivered",
        "MessageStatus": "delivered",
    }
    form.update(fields)
    return form


def test_status_is_passed_through(web: Harness) -> None:
    response = _post_signed(web, STATUS, _status_form())
    assert response.status_code == 204
    assert response.content == b""
    [(sid, state, error, at)] = web.status.calls
    assert (sid, state, error) == (SID, "delivered", None)
    assert at.tzinfo is not None
    assert web.inbound.messages == []


def test_status_error_code_is_passed_through(web: Harness) -> None:
    form = _status_form(MessageStatus="Undelivered", SmsStatus="undelivered", ErrorCode="30003")
    assert _post_signed(web, STATUS, form).status_code == 204
    [(sid, state, error, _)] = web.status.calls
    assert (sid, state, error) == (SID, "undelivered", "30003")


def test_blank_error_code_is_none(web: Harness) -> None:
    assert _post_signed(web, STATUS, _status_form(ErrorCode="")).status_code == 204
    assert web.status.calls[0][2] is None


def test_unknown_or_stale_status_is_still_acknowledged(web: Harness) -> None:
    web.status.known = False
    assert _post_signed(web, STATUS, _status_form()).status_code == 204
    assert len(web.status.calls) == 1


@pytest.mark.parametrize("missing", ["MessageSid", "MessageStatus"])
def test_status_without_sid_or_status_is_400(web: Harness, missing: str) -> None:
    form = {k: v for k, v in _status_form().items() if k != missing}
    assert _post_signed(web, STATUS, form).status_code == 400
    assert web.status.calls == []


def test_status_signature_is_checked(web: Harness) -> None:
    # a signature for the SMS URL does not authenticate a status callback
    signature = _sign(PUBLIC + SMS, _status_form())
    response = web.client.post(
        STATUS, data=_status_form(), headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403
    assert web.status.calls == []


def test_status_content_type_and_size(web: Harness) -> None:
    response = web.client.post(STATUS, json=_status_form())
    assert response.status_code == 415
    response = web.client.post(
        STATUS,
        content=b"a" * (MAX_BODY + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert web.status.calls == []


def test_status_unavailable_is_503(web: Harness) -> None:
    web.status.down = True
    response = _post_signed(web, STATUS, _status_form())
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
