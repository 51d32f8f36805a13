"""The fakes work with the real clients: python-telegram-bot's Bot and twilio's Client."""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import requests
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.twilio_http import BaseUrlHttpClient
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram, UploadedFile
from tests.fakes.twilio_api import FakeTwilio, num_segments

CHAT = 4242
OTHER_CHAT = 4343
PHONE = "+447700900123"
OTHER_PHONE = "+447700900124"
PUBLIC = "https://elc.example"


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without it PTB 22 warns (PTBDeprecationWarning) inside RetryAfter's constructor, which
    # `filterwarnings = error` turns into the exception raised instead of RetryAfter.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def tw() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def twilio(tw: FakeTwilio) -> Iterator[Client]:
    with BaseUrlHttpClient(tw.origin, timeout=5) as http:
        yield Client(tw.account_sid, tw.auth_token, http_client=http)


# -- a tiny stdlib receiver standing in for the app's webhooks ------------------------------


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    status: int = 204
    requests: list[Received] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state[0].requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(state[0].status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# -- Telegram ---------------------------------------------------------------------------------


def keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])


def test_get_me_and_send_message_with_keyboard(tg: FakeTelegram) -> None:
    async def scenario() -> None:
        async with Bot(tg.token, base_url=f"{tg.origin}/bot") as bot:  # initialize: getMe
            me = await bot.get_me()
            assert (me.id, me.username, me.is_bot) == (999000001, "elc_test_bot", True)
            first = await bot.send_message(CHAT, "Hello", reply_markup=keyboard())
            second = await bot.send_message(OTHER_CHAT, "Hi")
            assert first.chat.id == CHAT and first.text == "Hello"
            assert second.message_id == first.message_id + 1
            assert first.reply_markup == keyboard()

    asyncio.run(scenario())
    assert tg.count("getMe") == 2 and tg.count("getme") == 2
    [call] = tg.sent_messages(str(CHAT))
    assert call.params == {
        "chat_id": str(CHAT),
        "text": "Hello",
        "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]},
    }
    assert call.status == 200 and call.result["message_id"] == 1
    assert [c.params["text"] for c in tg.sent_messages()] == ["Hello", "Hi"]
    assert tg.sent_messages(OTHER_CHAT)[0].at > call.at


def test_scripted_429_raises_retry_after_then_succeeds(tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 1, 429)

    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(CHAT, "one")
            assert raised.value.retry_after == timedelta(seconds=1)
            await bot.send_message(CHAT, "one")

    asyncio.run(scenario())
    assert [c.status for c in tg.sent_messages(include_failed=True)] == [429, 200]
    assert len(tg.sent_messages()) == 1
    assert tg.calls[1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }


def test_blocked_chat_is_forbidden_and_others_are_not(tg: FakeTelegram) -> None:
    tg.block_chat(CHAT)

    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            for _ in range(2):
                with pytest.raises(Forbidden, match="bot was blocked by the user"):
                    await bot.send_message(CHAT, "hello?")
            await bot.send_message(OTHER_CHAT, "hello")

    asyncio.run(scenario())
    assert [c.status for c in tg.sent_messages(CHAT, include_failed=True)] == [403, 403]
    assert tg.sent_messages(CHAT) == [] and len(tg.sent_messages(OTHER_CHAT)) == 1


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, None, NetworkError),
        (502, None, NetworkError),
        (502, "<html><body>502 Bad Gateway</body></html>", NetworkError),
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: x"}, BadRequest),
        (403, None, Forbidden),
    ],
)
def test_error_statuses_map_to_ptb_exceptions(
    tg: FakeTelegram, status: int, body: dict[str, Any] | str | None, error: type[TelegramError]
) -> None:
    tg.fail_next("*", 1, status, body)

    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url):  # getMe takes the failure
            pass

    with pytest.raises(TelegramError) as raised:
        asyncio.run(scenario())
    assert type(raised.value) is error
    assert tg.calls[0].method == "getMe" and tg.calls[0].status == status


def test_ptb_exception_hierarchy_surprises() -> None:
    # Worth knowing when classifying errors: BadRequest and TimedOut *are* NetworkErrors.
    assert issubclass(BadRequest, NetworkError) and issubclass(TimedOut, NetworkError)
    assert not issubclass(RetryAfter, NetworkError) and not issubclass(Forbidden, NetworkError)


def test_wrong_token_is_invalid_token(tg: FakeTelegram) -> None:
    async def scenario() -> None:
        async with Bot("654321:WRONG-not-a-real-token", base_url=tg.base_url):
            pass

    with pytest.raises(InvalidToken):
        asyncio.run(scenario())
    assert [(c.method, c.status) for c in tg.calls] == [("getMe", 401)]
    assert tg.calls[0].response == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_raw_http_json_get_and_unknown_method(tg: FakeTelegram) -> None:
    url = f"{tg.base_url}{tg.token}"
    with httpx.Client(trust_env=False) as client:
        unknown = client.post(f"{url}/noSuchMethod")
        as_json = client.post(
            f"{url}/sendMessage",
            json={"chat_id": CHAT, "text": "json", "reply_markup": {"inline_keyboard": []}},
        )
        as_get = client.get(f"{url}/sendMessage", params={"chat_id": CHAT, "text": "query"})
    assert unknown.status_code == 404
    assert unknown.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method not found",
    }
    assert as_json.json()["result"]["chat"] == {"id": CHAT, "type": "private", "first_name": "Test"}
    assert as_get.status_code == 200
    json_call, get_call = tg.sent_messages()
    assert json_call.params == {
        "chat_id": str(CHAT),
        "text": "json",
        "reply_markup": {"inline_keyboard": []},
    }
    assert get_call.params == {"chat_id": str(CHAT), "text": "query"}


def test_get_updates_honours_offset_and_long_polls(tg: FakeTelegram) -> None:
    tg.queue_text(CHAT, "one")
    tg.queue_update(
        {"message": FakeTelegram.text_message(CHAT, "two", message_id=2), "update_id": 10}
    )
    tg.long_poll_cap = 0.3

    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            updates = await bot.get_updates(timeout=5)
            assert [u.update_id for u in updates] == [1, 10]
            assert isinstance(updates[0], Update) and updates[0].message.text == "one"
            again = await bot.get_updates(offset=2, timeout=0)
            assert [u.update_id for u in again] == [10]  # 1 confirmed and dropped

            started = time.monotonic()
            assert await bot.get_updates(offset=11, timeout=30) == ()
            assert 0.25 < time.monotonic() - started < 1.5  # waited, capped at long_poll_cap

            tg.long_poll_cap = 2.0
            threading.Timer(0.2, tg.queue_text, args=(CHAT, "late")).start()
            started = time.monotonic()
            late = await bot.get_updates(offset=11, timeout=30)
            assert [u.message.text for u in late] == ["late"]
            assert time.monotonic() - started < 1.5  # answered as soon as it was queued

    asyncio.run(scenario())
    assert tg.pending_updates[0]["update_id"] == 11


def test_send_document_is_multipart(tg: FakeTelegram) -> None:
    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            message = await bot.send_document(
                CHAT, document=io.BytesIO(b"a,b\n1,2\n"), filename="export.csv", caption="Data"
            )
            assert message.document.file_name == "export.csv"
            assert message.document.file_size == 8 and message.caption == "Data"

    asyncio.run(scenario())
    [call] = [c for c in tg.calls if c.method == "sendDocument"]
    document = call.params["document"]
    assert isinstance(document, UploadedFile)
    assert (document.filename, document.data) == ("export.csv", b"a,b\n1,2\n")
    assert call.params["chat_id"] == str(CHAT) and call.params["caption"] == "Data"


def test_edit_and_answer_callback(tg: FakeTelegram) -> None:
    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            sent = await bot.send_message(CHAT, "Pick", reply_markup=keyboard())
            assert await bot.answer_callback_query("cbq-1", text="Thanks") is True
            edited = await bot.edit_message_text("Picked", chat_id=CHAT, message_id=sent.message_id)
            assert edited.text == "Picked"
            bare = await bot.edit_message_reply_markup(chat_id=CHAT, message_id=sent.message_id)
            assert bare.text == "Picked" and bare.reply_markup is None

    asyncio.run(scenario())
    assert [c.method for c in tg.calls][1:] == [
        "sendMessage",
        "answerCallbackQuery",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    assert tg.calls[2].params == {"callback_query_id": "cbq-1", "text": "Thanks"}


def test_webhook_set_info_conflict_post_and_delete(tg: FakeTelegram, receiver: Receiver) -> None:
    hook = f"{PUBLIC}/webhooks/telegram"

    async def scenario() -> None:
        async with Bot(tg.token, base_url=tg.base_url) as bot:
            with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
                await bot.set_webhook("http://elc.example/webhooks/telegram")
            assert await bot.set_webhook(
                hook, secret_token="s3cret-Token_1", allowed_updates=["message", "callback_query"]
            )
            info = await bot.get_webhook_info()
            assert info.url == hook and info.allowed_updates == ("message", "callback_query")
            with pytest.raises(Conflict):
                await bot.get_updates()
            assert tg.post_update({"update_id": 5}, via=receiver.origin) == 204
            assert await bot.delete_webhook()
            assert (await bot.get_webhook_info()).url == ""

    asyncio.run(scenario())
    [received] = receiver.requests
    assert received.path == "/webhooks/telegram"
    assert received.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret-Token_1"
    assert json.loads(received.body) == {"update_id": 5}
    assert tg.webhook == {}


def test_slow_answer_times_out_but_was_delivered(tg: FakeTelegram) -> None:
    """The at-least-once trap: the client saw a timeout, Telegram saw the message."""

    async def scenario() -> None:
        request = HTTPXRequest(read_timeout=0.1)
        async with Bot(tg.token, base_url=tg.base_url, request=request) as bot:
            tg.latency = 0.5
            with pytest.raises(TimedOut):
                await bot.send_message(CHAT, "maybe sent")

    asyncio.run(scenario())
    assert [c.params["text"] for c in tg.sent_messages(CHAT)] == ["maybe sent"]


def test_wait_for_sees_calls_from_another_thread(tg: FakeTelegram) -> None:
    def send() -> None:
        with httpx.Client(trust_env=False) as client:
            client.post(f"{tg.base_url}{tg.token}/sendMessage", data={"chat_id": CHAT, "text": "x"})

    timer = threading.Timer(0.1, send)
    timer.start()
    assert tg.wait_for(lambda calls: any(c.method == "sendMessage" for c in calls), timeout=5)
    timer.join()
    assert not tg.wait_for(lambda calls: len(calls) > 1, timeout=0.05)
    flag = threading.Event()  # state outside the fake: re-checked without any new call
    threading.Timer(0.05, flag.set).start()
    assert tg.wait_for(lambda _: flag.is_set(), timeout=2)


# -- Twilio ---------------------------------------------------------------------------------


def test_create_returns_a_message_and_records_the_form(tw: FakeTwilio, twilio: Client) -> None:
    callback = f"{PUBLIC}/webhooks/twilio/status"
    message = twilio.messages.create(
        to=PHONE, from_=tw.number, body="Helo! Sut wyt ti?", status_callback=callback
    )
    assert re.fullmatch(r"SM[0-9a-f]{32}", message.sid)
    assert (message.status, message.to, message.from_) == ("queued", PHONE, tw.number)
    assert message.num_segments == "1" and message.error_code is None
    assert message.account_sid == tw.account_sid and message.date_created is not None
    [call] = tw.sent(PHONE)
    assert call.params == {
        "To": PHONE,
        "From": tw.number,
        "Body": "Helo! Sut wyt ti?",
        "StatusCallback": callback,
    }
    assert call.sid == message.sid and call.status == 201 and tw.count() == 1
    assert call.path == f"/2010-04-01/Accounts/{tw.account_sid}/Messages.json"


def test_messaging_service_send_is_accepted(tw: FakeTwilio, twilio: Client) -> None:
    message = twilio.messages.create(
        to=PHONE, messaging_service_sid="MGtest00000000000000000000000000", body="Hi"
    )
    assert message.status == "accepted" and message.from_ is None


@pytest.mark.parametrize(("mark", "code"), [("opt_out", 21610), ("invalid", 21211)])
def test_refused_numbers(tw: FakeTwilio, twilio: Client, mark: str, code: int) -> None:
    getattr(tw, mark)(PHONE)
    with pytest.raises(TwilioRestException) as raised:
        twilio.messages.create(to=PHONE, from_=tw.number, body="Hi")
    assert (raised.value.status, raised.value.code) == (400, code)
    twilio.messages.create(to=OTHER_PHONE, from_=tw.number, body="Hi")
    assert tw.count(PHONE) == 1 and tw.sent(PHONE) == []
    assert tw.sent(PHONE, include_failed=True)[0].error_code == code


def test_a_failing_route_fails_every_send_to_that_number_only(
    tw: FakeTwilio, twilio: Client
) -> None:
    tw.fail_to(PHONE, 503)
    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            twilio.messages.create(to=PHONE, from_=tw.number, body="Hi")
        assert (raised.value.status, raised.value.code) == (503, 20503)
    twilio.messages.create(to=OTHER_PHONE, from_=tw.number, body="Hi")
    assert tw.count(PHONE) == 2 and tw.sent(PHONE) == [] and len(tw.sent(OTHER_PHONE)) == 1


def test_scripted_failures_then_success(tw: FakeTwilio, twilio: Client) -> None:
    tw.fail_next(2, 500)
    tw.fail_next(1, 429)
    seen = []
    for _ in range(3):
        with pytest.raises(TwilioRestException) as raised:
            twilio.messages.create(to=PHONE, from_=tw.number, body="Hi")
        seen.append((raised.value.status, raised.value.code))
    assert seen == [(500, 20500), (500, 20500), (429, 20429)]
    twilio.messages.create(to=PHONE, from_=tw.number, body="Hi")
    assert [c.status for c in tw.sent(include_failed=True)] == [500, 500, 429, 201]
    assert tw.calls[0].response == {
        "code": 20500,
        "message": "Internal Server Error",
        "more_info": "https://www.twilio.com/docs/errors/20500",
        "status": 500,
    }


def test_wrong_credentials_are_401(tw: FakeTwilio) -> None:
    with BaseUrlHttpClient(tw.origin) as http:
        client = Client(tw.account_sid, "wrong-token-not-real", http_client=http)
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=PHONE, from_=tw.number, body="Hi")
    assert (raised.value.status, raised.value.code) == (401, 20003)
    assert tw.sent() == [] and tw.count() == 1


def test_deliver_status_posts_a_signed_form(
    tw: FakeTwilio, twilio: Client, receiver: Receiver
) -> None:
    callback = f"{PUBLIC}/webhooks/twilio/status"
    message = twilio.messages.create(to=PHONE, from_=tw.number, body="Hi", status_callback=callback)
    assert tw.deliver_status(message.sid, "delivered", via=receiver.origin) == 204
    forged = tw.deliver_status(
        message.sid, "failed", 30007, signed_with="not-the-token", url=f"{receiver.origin}/s"
    )
    assert forged == 204
    good, bad = receiver.requests
    validator = RequestValidator(tw.auth_token)
    assert good.path == "/webhooks/twilio/status"
    assert validator.validate(callback, good.form(), good.headers["X-Twilio-Signature"])
    assert good.form() == {
        "AccountSid": tw.account_sid,
        "ApiVersion": "2010-04-01",
        "From": tw.number,
        "MessageSid": message.sid,
        "MessageStatus": "delivered",
        "SmsSid": message.sid,
        "SmsStatus": "delivered",
        "To": PHONE,
    }
    assert bad.form()["ErrorCode"] == "30007"
    assert not validator.validate(
        f"{receiver.origin}/s", bad.form(), bad.headers["X-Twilio-Signature"]
    )
    assert twilio.messages(message.sid).fetch().status == "failed"
    assert [d.status for d in tw.deliveries] == [204, 204]


def test_inbound_stop_opts_the_sender_out(
    tw: FakeTwilio, twilio: Client, receiver: Receiver
) -> None:
    sms_url = f"{receiver.origin}/webhooks/twilio/sms"
    assert tw.deliver_inbound(sms_url, PHONE, "stop") == 204
    form = receiver.requests[0].form()
    assert form["OptOutType"] == "STOP" and form["Body"] == "stop" and form["To"] == tw.number
    assert RequestValidator(tw.auth_token).validate(
        sms_url, form, receiver.requests[0].headers["X-Twilio-Signature"]
    )
    with pytest.raises(TwilioRestException) as raised:
        twilio.messages.create(to=PHONE, from_=tw.number, body="Still there?")
    assert raised.value.code == 21610
    tw.deliver_inbound(sms_url, PHONE, "START")
    twilio.messages.create(to=PHONE, from_=tw.number, body="Welcome back")


def test_base_url_http_client_rewrites_only_twilio_hosts() -> None:
    with BaseUrlHttpClient("http://127.0.0.1:9/prefix/") as http:
        assert (
            http.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?Page=2")
            == "http://127.0.0.1:9/prefix/2010-04-01/Accounts/AC1/Messages.json?Page=2"
        )
        assert (
            http.rewrite("https://api.dublin.ie1.twilio.com/v1/x")
            == "http://127.0.0.1:9/prefix/v1/x"
        )
        assert http.rewrite("https://example.com/a") == "https://example.com/a"
        assert http.rewrite("https://nottwilio.com/a") == "https://nottwilio.com/a"
    for bad in ("127.0.0.1:9", "ftp://host", "http://host/?q=1"):
        with pytest.raises(ValueError):
            BaseUrlHttpClient(bad)


def test_edge_and_region_hosts_reach_the_fake_too(tw: FakeTwilio) -> None:
    with BaseUrlHttpClient(tw.origin) as http:
        client = Client(
            tw.account_sid, tw.auth_token, http_client=http, edge="dublin", region="ie1"
        )
        client.messages.create(to=PHONE, from_=tw.number, body="Hi")
        assert http._test_only_last_request.url.startswith(tw.origin)
    assert len(tw.sent()) == 1


def test_slow_twilio_times_out_but_was_sent(tw: FakeTwilio) -> None:
    tw.latency = 0.5
    with BaseUrlHttpClient(tw.origin, timeout=0.1) as http:
        client = Client(tw.account_sid, tw.auth_token, http_client=http)
        with pytest.raises(requests.exceptions.ReadTimeout):  # not wrapped by twilio
            client.messages.create(to=PHONE, from_=tw.number, body="maybe sent")
    assert len(tw.sent(PHONE)) == 1


@pytest.mark.parametrize(
    ("body", "parts"),
    [("a" * 160, 1), ("a" * 161, 2), ("[" * 80, 1), ("[" * 81, 2), ("ŵ" * 70, 1), ("ŵ" * 71, 2)],
)
def test_num_segments(body: str, parts: int) -> None:
    assert num_segments(body) == parts


def test_tcp_proxy_forwards_until_cut_then_counts_and_drops_attempts() -> None:
    server = socket.create_server(("127.0.0.1", 0))

    def echo() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                while data := conn.recv(1024):
                    conn.sendall(data)

    threading.Thread(target=echo, daemon=True).start()
    with TcpProxy("127.0.0.1", server.getsockname()[1]) as proxy:
        before = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        before.sendall(b"ping")
        assert before.recv(4) == b"ping"
        proxy.cut()
        assert before.recv(4) == b""  # the open connection was closed
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as attempt:
                assert attempt.recv(4) == b""  # accepted, then dropped at once
        assert proxy.attempts == 3
        proxy.restore()
        with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as after:
            after.sendall(b"pong")
            assert after.recv(4) == b"pong"
        before.close()
    server.close()
