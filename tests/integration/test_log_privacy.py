"""Logs never carry a phone number, a chat id, a secret or a message body at INFO or above.

A realistic stretch of a day runs through the real web app and the real provider clients (against
the fakes): parents join by SMS and Telegram, one answers a consultation in free text, one writes
to the inbox, sends fail, staff sign in (once with a wrong password), export, use an API token,
and forged webhooks are refused. Everything is logged at DEBUG, with the libraries configured as
every `python -m bot` process configures them; then every record at INFO or above is searched.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from twilio.request_validator import RequestValidator

from admin.auth import SESSION_COOKIE, StaffIdentity
from bot import logs
from bot.consultations import launch
from bot.container import Container, build, prepare_database
from bot.desks.tokens import TokensDesk
from bot.staff import StaffService
from bot.web import create_app
from storage.consultation_models import ConsultationAnswer
from storage.db import make_engine, transaction
from tests.conftest import FIXED_NOW, TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID, make_settings
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import run_dispatcher, sms_dispatcher, telegram_dispatcher
from tests.integration.staff_client import csrf_of
from tests.integration.test_consultations import play_park

PUBLIC = "https://bot.example.org"
WEBHOOK_SECRET = "log-test-webhook-secret-not-real"
SECRET_KEY = "log-test-secret-key-not-real"
PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "wrong-guess-horse-battery"
WELSH = "+447700900811"
INVALID = "+447700900812"  # Twilio refuses every send to it (21211)
CHAT = 700900813  # a Telegram chat id
BLOCKED = 700900814  # a chat that blocked the bot (403)
FREE_TEXT = "Zygomorphic swings by the quarry please"
INBOX_TEXT = "Is the Quokka library open on Saturday?"
NICKNAME = "Zebedee"
ADA = StaffIdentity(id=0, username="ada", role="admin", communities=(), stamp="")


class Captured(logging.Handler):
    """Every record, at every level, from every logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text_at(self, level: int) -> list[str]:
        """Each record at `level` or above as an operator would read it, traceback and all."""
        formatter = logs.PrivateFormatter(logs.FORMAT)
        return [formatter.format(r) for r in self.records if r.levelno >= level]


@pytest.fixture
def captured() -> Iterator[Captured]:
    root = logging.getLogger()
    handler, level = Captured(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logs.quiet_libraries()  # as `python -m bot serve` (and every other command) does
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@dataclass
class Day:
    container: Container
    client: TestClient
    telegram: FakeTelegram
    twilio: FakeTwilio
    update_id: int = 1000

    def sms(self, sender: str, *bodies: str) -> None:
        for index, body in enumerate(bodies):
            form = {
                "MessageSid": f"SM{sender[-3:]}{self.update_id + index:029d}",
                "From": sender,
                "To": "+447700900000",
                "Body": body,
                "NumMedia": "0",
            }
            url = f"{PUBLIC}/webhooks/twilio/sms"
            signature = RequestValidator(TWILIO_AUTH).compute_signature(url, form)
            answer = self.client.post(
                "/webhooks/twilio/sms", data=form, headers={"X-Twilio-Signature": signature}
            )
            assert answer.status_code == 200, answer.text
        self.update_id += len(bodies)
        self.dispatch()

    def telegram_text(self, chat: int, *texts: str) -> None:
        for said in texts:
            self.update_id += 1
            update = {
                "update_id": self.update_id,
                "message": FakeTelegram.text_message(chat, said, message_id=self.update_id),
            }
            answer = self.client.post(
                "/webhooks/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
            )
            assert answer.status_code == 200, answer.text
        self.dispatch()

    def dispatch(self) -> None:
        run_dispatcher(telegram_dispatcher(self.container, self.telegram), seconds=5)
        run_dispatcher(sms_dispatcher(self.container, self.twilio), seconds=5)


@pytest.fixture
def day(
    database_url: str, tmp_path: Path, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> Iterator[Day]:
    settings = make_settings(
        database_url,
        tmp_path,
        secret_key=SECRET_KEY,
        public_base_url=PUBLIC,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_webhook_secret=WEBHOOK_SECRET,
        telegram_api_base_url=fake_telegram.origin,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_AUTH,
        twilio_from_number="+447700900000",
        twilio_api_base_url=fake_twilio.origin,
        small_cell_threshold=1,
    )
    container = build(settings, clock=lambda: FIXED_NOW)
    prepare_database(container)
    try:
        with TestClient(create_app(container), base_url=PUBLIC) as client:
            yield Day(container, client, fake_telegram, fake_twilio)
    finally:
        container.close()


def _live_a_day(day: Day) -> dict[str, str]:
    """The scenario; returns what must never be logged, by what it is."""
    # Parents join: by SMS in Welsh, by Telegram in English (one has blocked the bot), and
    # one by SMS from a number Twilio will not send to.
    day.sms(WELSH, "bettws", "1", "1", "2", "12/6/2025", NICKNAME, "2", "1")
    day.telegram.block_chat(BLOCKED)
    day.telegram_text(BLOCKED, "/start feltham")
    day.telegram_text(CHAT, "/start bettws", "2", "1", "2", "1/2/2024", "skip", "2", "1")
    day.twilio.invalid(INVALID)
    day.sms(INVALID, "margate")
    # A consultation: the Welsh parent answers, in free text too; then writes to the inbox.
    launch(day.container, play_park())
    day.dispatch()
    day.sms(WELSH, "1", "2", "1,3", "4", "dau", FREE_TEXT, "ie")
    day.sms(WELSH, INBOX_TEXT)
    day.twilio.fail_next(6, 500)  # a storm: retried, then given up
    day.sms(WELSH, "HELP")

    # Staff: a wrong password, a sign-in, an export; an API token used and a forged one.
    StaffService(day.container.sessions, day.container.clock).create(
        "cerys", PASSWORD, "coordinator", ["bettws"]
    )
    client = day.client
    token = csrf_of(client, "/admin/login")
    wrong = {"username": "cerys", "password": WRONG_PASSWORD, "csrf": token}
    assert client.post("/admin/login", data=wrong).status_code == 401
    right = {"username": "cerys", "password": PASSWORD, "csrf": token}
    assert client.post("/admin/login", data=right, follow_redirects=False).status_code == 303
    cookie = client.cookies[SESSION_COOKIE]
    export = client.post(
        "/admin/exports",
        data={
            "csrf": csrf_of(client, "/admin/exports"),
            "dataset": "responses",
            "format": "csv",
            "consultation": "play-park",
        },
    )
    assert export.status_code == 200 and export.content.count(b"bettws") == 1
    api_token = TokensDesk(day.container).create_token(ADA, "log test", "admin", []).secret
    api = client.get("/api/consultations", headers={"Authorization": f"Bearer {api_token}"})
    assert api.status_code == 200
    forged = client.get("/api/consultations", headers={"Authorization": f"Bearer {api_token}x"})
    assert forged.status_code == 401

    # Forged webhooks: a wrong secret, a wrong signature.
    bad = client.post(
        "/webhooks/telegram",
        json={"update_id": 1, "message": FakeTelegram.text_message(CHAT, "hi")},
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET + "x"},
    )
    assert bad.status_code == 403
    unsigned = client.post(
        "/webhooks/twilio/sms",
        data={"MessageSid": "SM" + "9" * 32, "From": WELSH, "Body": "hi"},
        headers={"X-Twilio-Signature": "forged"},
    )
    assert unsigned.status_code == 403

    # Everything really happened, so the search below has something to search.
    assert day.twilio.sent(WELSH) and day.telegram.sent_messages(str(CHAT))
    assert day.twilio.sent(INVALID, include_failed=True) and not day.twilio.sent(INVALID)
    with transaction(day.container.sessions) as session:
        stored = session.scalars(select(ConsultationAnswer.value)).all()
    assert FREE_TEXT in stored
    return {
        "a phone number": "447700900",
        "a Telegram chat id": str(CHAT),
        "a blocked chat's id": str(BLOCKED),
        "the bot token": TELEGRAM_TOKEN.split(":", 1)[1],
        "the Twilio auth token": TWILIO_AUTH,
        "the webhook secret": WEBHOOK_SECRET,
        "the secret key": SECRET_KEY,
        "a password": PASSWORD,
        "a wrong password": WRONG_PASSWORD,
        "an API token": api_token,
        "the session cookie": cookie.rsplit(".", 1)[-1],
        "a free-text answer": FREE_TEXT,
        "a message to the inbox": INBOX_TEXT,
        "a child's nickname": NICKNAME,
        "a child's birth date": "12/6/2025",
        "a question the bot sent": "play park",
    }


def leaks(lines: list[str], secrets: dict[str, str]) -> list[str]:
    found = []
    for line in lines:
        for what, value in secrets.items():
            if value.lower() in line.lower():
                found.append(f"{what} in: {line[:300]}")
    # Any run of digits shaped like a UK mobile or a long chat id, whoever it belongs to.
    found += [f"a number in: {line[:300]}" for line in lines if re.search(r"\b07\d{9}\b", line)]
    return found


def test_no_number_secret_or_body_is_logged_at_info_or_above(
    day: Day, captured: Captured
) -> None:
    secrets = _live_a_day(day)
    everything = captured.text_at(logging.DEBUG)
    assert len(everything) > 10, "the scenario logged almost nothing: is capture working?"
    assert leaks(captured.text_at(logging.INFO), secrets) == []


def test_the_search_finds_a_number_logged_at_info(captured: Captured) -> None:
    """The check above can fail: a careless log line is caught."""
    logging.getLogger("bot.inbound").info("message from %s: %s", WELSH, INBOX_TEXT)
    logging.getLogger("bot.inbound").debug("chat %s", CHAT)  # DEBUG is for developers only
    found = leaks(captured.text_at(logging.INFO), {"a phone number": "447700900"})
    assert len(found) == 1 and "a phone number" in found[0]


def test_a_database_error_logged_with_its_traceback_quotes_no_values(database_url: str) -> None:
    """An unexpected error is logged with its traceback; the row it was writing stays out."""
    engine = make_engine(database_url)
    record: list[str] = []
    handler = logging.Handler()
    handler.setFormatter(logs.PrivateFormatter(logs.FORMAT))
    handler.emit = lambda r: record.append(handler.format(r))  # type: ignore[method-assign]
    log = logging.getLogger("bot.test_log_privacy")
    log.addHandler(handler)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TEMPORARY TABLE leak (address VARCHAR PRIMARY KEY)"))
            insert = text("INSERT INTO leak (address) VALUES (:address)")
            connection.execute(insert, {"address": WELSH})
            try:
                connection.execute(insert, {"address": WELSH})
            except IntegrityError:
                log.exception("processing failed for contact %s", 12)
    finally:
        log.removeHandler(handler)
        engine.dispose()
    [logged] = record
    assert "IntegrityError" in logged and "processing failed for contact 12" in logged
    assert "447700900" not in logged, logged
