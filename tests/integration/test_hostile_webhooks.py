"""Hostile webhooks against the whole app and a real database (SQLite and PostgreSQL).

Each request below is one an attacker, a misconfigured proxy or a confused client could send to
the Telegram and Twilio paths. Each gets the right 4xx, or a 200/204 no-op where a provider would
otherwise retry it for a day; afterwards every row of every table is as it was, /healthz is ok
and a real parent's next message is still answered. Replays of real messages are processed once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from twilio.request_validator import RequestValidator

from admin.auth import SESSION_COOKIE
from bot.container import Container, build, prepare_database
from bot.web import create_app
from storage.db import transaction
from storage.models import Base, Outbox
from tests.conftest import FIXED_NOW, make_settings

SECRET = "test-webhook-secret-not-real"
TOKEN = "test-auth-token-not-real"
PUBLIC = "https://bot.example.org"
TG = "/webhooks/telegram"
SMS = "/webhooks/twilio/sms"
STATUS = "/webhooks/twilio/status"
FORM = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
OVER = 1024 * 1024 + 1
SENT_SID = "SM00000000000000000000000000000001"  # an outbox row we sent, for status callbacks
PARENT_CHAT = 700900601
GROUP = {"id": -4012345678, "title": "Bettws parents", "type": "group"}
SMS_PARENT = "+447700900602"

Snapshot = dict[str, list[str]]


def snapshot(container: Container) -> Snapshot:
    """Every row of every table, as text: what "nothing stored" is checked against."""
    with transaction(container.sessions) as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def counts(shot: Snapshot) -> dict[str, int]:
    return {name: len(rows) for name, rows in shot.items() if rows}


# --- what is sent ------------------------------------------------------------------------------


def tg_update(update_id: int, text: str = "hi", chat: int = PARENT_CHAT) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "from": {"id": chat, "is_bot": False, "first_name": "Rhian"},
            "chat": {"id": chat, "first_name": "Rhian", "type": "private"},
            "date": 1773136800,
            "text": text,
        },
    }


def tg_press(update_id: int, data: str) -> dict[str, Any]:
    chat = {"id": PARENT_CHAT, "first_name": "Rhian", "type": "private"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"q{update_id}",
            "from": {"id": PARENT_CHAT, "is_bot": False, "first_name": "Rhian"},
            "chat_instance": "-7395211380391227841",
            "data": data,
            "message": {
                "message_id": 5,
                "from": {"id": 7000000001, "is_bot": True, "first_name": "ELC"},
                "chat": chat,
                "date": 1773136800,
                "text": "Which language?",
            },
        },
    }


def sms_form(sid: str, body: str = "feltham hi", **fields: str) -> dict[str, str]:
    form = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC00000000000000000000000000000000",
        "From": SMS_PARENT,
        "To": "+447700900001",
        "Body": body,
        "NumMedia": "0",
    }
    form.update(fields)
    return {k: v for k, v in form.items() if v is not None}


def signature(path: str, params: dict[str, str], token: str = TOKEN) -> str:
    signed: str = RequestValidator(token).compute_signature(PUBLIC + path, params)
    return signed


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def telegram(
    body: Any, *, secret: str | None = SECRET, media: str | None = JSON_TYPE
) -> Request:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": media} if media else {}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    return Request("POST", TG, raw, headers)


def twilio(
    path: str,
    form: dict[str, str],
    *,
    signed: dict[str, str] | None = None,
    token: str = TOKEN,
    raw: bytes | None = None,
    media: str = FORM,
    sign: bool = True,
) -> Request:
    """A form post; `signed` is what the signature covers when it is not `form` itself."""
    headers = {"Content-Type": media}
    if sign:
        headers["X-Twilio-Signature"] = signature(path, form if signed is None else signed, token)
    return Request("POST", path, urlencode(form).encode() if raw is None else raw, headers)


def nested(depth: int) -> bytes:
    return b'{"update_id": 9, "message": ' + b"[" * depth + b"]" * depth + b"}"


def status_form(sid: str = SENT_SID, status: str | None = "delivered") -> dict[str, str]:
    form = {"MessageSid": sid, "AccountSid": "AC00000000000000000000000000000000"}
    if status is not None:
        form["MessageStatus"] = status
    return form


# (request, expected status): each must leave every table as it was.
HOSTILE: dict[str, tuple[Callable[[], Request], int]] = {
    # Telegram
    "tg unsigned": (lambda: telegram(tg_update(11), secret=None), 403),
    "tg wrong secret": (lambda: telegram(tg_update(12), secret="not-the-secret"), 403),
    "tg empty secret": (lambda: telegram(tg_update(13), secret=""), 403),
    "tg oversized": (lambda: telegram(json.dumps(tg_update(14)).encode() + b" " * OVER), 413),
    "tg truncated json": (lambda: telegram(json.dumps(tg_update(15)).encode()[:-7]), 400),
    "tg empty body": (lambda: telegram(b""), 400),
    "tg text/plain": (lambda: telegram(tg_update(16), media="text/plain"), 415),
    "tg form type": (lambda: telegram(tg_update(17), media=FORM), 415),
    "tg GET": (lambda: Request("GET", TG), 405),
    "tg PUT": (lambda: Request("PUT", TG, b"{}", telegram(tg_update(18)).headers), 405),
    "tg non-utf8": (lambda: telegram(b'{"update_id": 19, "message": {"text": "\xff\xfe"}}'), 400),
    "tg deeply nested": (lambda: telegram(nested(100_000)), 400),
    "tg array": (lambda: telegram([tg_update(20)]), 400),
    "tg string update_id": (lambda: telegram({**tg_update(21), "update_id": "21"}), 400),
    "tg huge callback_data": (lambda: telegram(tg_press(22, "lang:cy" + "x" * 100_000)), 200),
    "tg callback_data over 64 bytes": (lambda: telegram(tg_press(23, "é" * 33)), 200),
    "tg unknown update type": (
        lambda: telegram({"update_id": 24, "future_update": {"chat": {"id": PARENT_CHAT}}}),
        200,
    ),
    "tg edited message": (
        lambda: telegram({"update_id": 25, "edited_message": tg_update(25)["message"]}),
        200,
    ),
    "tg group message": (
        lambda: telegram({"update_id": 26, "message": {**tg_update(26)["message"], "chat": GROUP}}),
        200,
    ),
    "tg wrong shapes": (lambda: telegram({"update_id": 27, "message": {"chat": []}}), 200),
    # Twilio SMS
    "sms unsigned": (lambda: twilio(SMS, sms_form("SM11"), sign=False), 403),
    "sms wrong signature": (lambda: twilio(SMS, sms_form("SM12"), token="another-token"), 403),
    "sms tampered body": (
        lambda: twilio(SMS, sms_form("SM13", "STOP"), signed=sms_form("SM13")),
        403,
    ),
    "sms truncated form": (
        lambda: twilio(SMS, sms_form("SM14"), raw=urlencode(sms_form("SM14")).encode()[:-9]),
        403,
    ),
    "sms oversized": (lambda: twilio(SMS, sms_form("SM15", "x" * OVER)), 413),
    "sms json type": (
        lambda: twilio(
            SMS, sms_form("SM16"), raw=json.dumps(sms_form("SM16")).encode(), media=JSON_TYPE
        ),
        415,
    ),
    "sms GET": (lambda: Request("GET", SMS + "?" + urlencode(sms_form("SM17"))), 405),
    "sms non-utf8": (lambda: twilio(SMS, sms_form("SM18"), raw=b"Body=\xff&MessageSid=SM18"), 400),
    "sms no sender": (lambda: twilio(SMS, sms_form("SM19", From="")), 400),
    "sms no sid": (lambda: twilio(SMS, sms_form("", SmsSid="")), 400),
    # Twilio status callbacks
    "status unsigned": (lambda: twilio(STATUS, status_form(), sign=False), 403),
    "status wrong signature": (lambda: twilio(STATUS, status_form(), token="other"), 403),
    "status unknown sid": (lambda: twilio(STATUS, status_form("SM404")), 204),
    "status unknown state": (lambda: twilio(STATUS, status_form(status="exploded")), 204),
    "status no state": (lambda: twilio(STATUS, status_form(status=None)), 400),
    "status oversized": (
        lambda: twilio(STATUS, {**status_form(), "ErrorMessage": "x" * OVER}),
        413,
    ),
    "status GET": (lambda: Request("GET", STATUS), 405),
}


# --- the site ----------------------------------------------------------------------------------


@dataclass
class Site:
    container: Container
    client: TestClient
    next_update: int = 1000

    def send(self, request: Request) -> Any:
        return self.client.request(
            request.method, request.path, content=request.body or None, headers=request.headers
        )

    def parent_says(self, text: str) -> Any:
        self.next_update += 1
        return self.send(telegram(tg_update(self.next_update, text)))

    def replies_to_parent(self) -> int:
        with transaction(self.container.sessions) as session:
            return len(session.scalars(select(Outbox.id)).all())


@pytest.fixture
def site(database_url: str, tmp_path: Path) -> Iterator[Site]:
    """The whole app with both providers configured; one Telegram parent already mid-setup,
    and one SMS we sent (so status callbacks have something to change)."""
    settings = make_settings(
        database_url,
        tmp_path,
        public_base_url=PUBLIC,
        telegram_bot_token="123456:TEST-not-a-real-token",
        telegram_webhook_secret=SECRET,
        twilio_account_sid="ACtest00000000000000000000000000",
        twilio_auth_token=TOKEN,
    )
    container = build(settings, clock=lambda: FIXED_NOW)
    prepare_database(container)
    with TestClient(create_app(container, with_workers=False)) as client:
        made = Site(container, client)
        assert made.parent_says("/start bettws").status_code == 200
        with transaction(container.sessions) as session:
            first = session.scalars(select(Outbox.id).order_by(Outbox.id)).first()
            session.execute(
                update(Outbox).where(Outbox.id == first).values(provider_message_id=SENT_SID)
            )
        yield made
    container.close()


def healthy(site: Site) -> None:
    """/healthz answers ok, and a parent's next message is still taken and answered."""
    health = site.client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    before = site.replies_to_parent()
    assert site.parent_says("help").status_code == 200
    assert site.replies_to_parent() > before


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_request_is_refused_or_ignored_and_nothing_is_stored(
    site: Site, case: str
) -> None:
    build_request, expected = HOSTILE[case]
    before = snapshot(site.container)
    response = site.send(build_request())
    assert response.status_code == expected, response.text[:300]
    if response.status_code == 200 and response.request.url.path == TG:
        assert response.json() == {"ok": True, "ignored": True}
    assert snapshot(site.container) == before
    healthy(site)


def test_every_hostile_request_in_a_row_leaves_the_server_healthy(site: Site) -> None:
    before = snapshot(site.container)
    answered = {case: site.send(build()).status_code for case, (build, _) in HOSTILE.items()}
    assert answered == {case: expected for case, (_, expected) in HOSTILE.items()}
    assert snapshot(site.container) == before
    healthy(site)


# --- replays -----------------------------------------------------------------------------------


def _processed_once(site: Site, request: Request, ok: int) -> None:
    before = counts(snapshot(site.container))
    assert site.send(request).status_code == ok
    once = snapshot(site.container)
    assert counts(once) != before, "the first delivery is stored and answered"
    for _ in range(2):
        assert site.send(request).status_code == ok  # the provider's retries
        assert snapshot(site.container) == once


def test_a_replayed_telegram_update_is_processed_once(site: Site) -> None:
    _processed_once(site, telegram(tg_update(5000, "Cymraeg")), 200)
    healthy(site)


def test_a_replayed_sms_is_processed_once(site: Site) -> None:
    _processed_once(site, twilio(SMS, sms_form("SM0000000000000000000000000000aaaa")), 200)
    healthy(site)


def test_a_replayed_status_callback_changes_the_delivery_once(site: Site) -> None:
    before = snapshot(site.container)
    request = twilio(STATUS, status_form(status="delivered"))
    assert site.send(request).status_code == 204
    after = snapshot(site.container)
    assert after["outbox"] != before["outbox"] and counts(after) == counts(before)
    assert site.send(request).status_code == 204
    late = twilio(STATUS, status_form(status="sent"))  # older news, arriving late
    assert site.send(late).status_code == 204
    assert snapshot(site.container) == after
    with transaction(site.container.sessions) as session:
        stored = session.scalar(
            select(Outbox.delivery_status).where(Outbox.provider_message_id == SENT_SID)
        )
    assert stored == "delivered"


# --- authentic messages with text no parent types ----------------------------------------------

ODD_TEXTS = {
    "nul": "he\x00llo",
    "lone surrogate": "\ud800 hi",
    "control characters": "\x1b[2J\x07\x08\r\n",
    "rtl and marks": "\u202e\u0645\u0631\u062d\u0628\u0627\u200f",
    "combining marks": "e" + "\u0301" * 500,
    "emoji": "👩‍👧‍👦🏴󠁧󠁢󠁷󠁬󠁳󠁿" * 50,
    "longest telegram text": "x" * 4096,
}


@pytest.mark.parametrize("name", list(ODD_TEXTS))
def test_authentic_odd_text_is_taken_and_answered_on_both_channels(site: Site, name: str) -> None:
    text = ODD_TEXTS[name]
    before = site.replies_to_parent()
    assert site.parent_says(text).status_code == 200
    # Twilio percent-encodes the bytes it got; the signature covers the decoded form.
    form: dict[str, str | bytes] = {**sms_form(f"SM{name.replace(' ', ''):0>32}")}
    form["Body"] = ("feltham " + text).encode("utf-8", "surrogatepass")
    raw = urlencode(form).encode()
    decoded = dict(parse_qsl(raw.decode(), keep_blank_values=True))
    sms = twilio(SMS, decoded, raw=raw)
    assert site.send(sms).status_code == 200
    assert site.replies_to_parent() >= before + 2
    healthy(site)


@pytest.mark.parametrize("cookie", ["x.\u00e9", "\u00e9", ".", "a" * 4000 + ".b"])
def test_a_forged_dashboard_cookie_is_a_signed_out_visitor(site: Site, cookie: str) -> None:
    """A non-ASCII signature once made the HMAC comparison raise (500 on every page)."""
    raw = f"{SESSION_COOKIE}={cookie}".encode("latin-1")
    response = site.client.get("/admin", headers={"Cookie": raw}, follow_redirects=False)  # type: ignore[dict-item]
    assert response.status_code in (302, 303, 307, 401, 403), response.status_code
    healthy(site)
