"""A parent onboards over Telegram (webhook and polling) and SMS against fake provider servers,
with `python -m bot serve` running as a real process and the real clients inside it."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from twilio.request_validator import RequestValidator

from bot.container import build, prepare_database
from conversations.types import Channel, OutgoingMessage
from storage import contacts, outbox
from storage.db import transaction
from storage.models import Contact, InboundMessage, Outbox
from tests.conftest import FIXED_NOW, TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID, make_settings
from tests.e2e.processes import Served, free_port, run_bot
from tests.e2e.processes import served_env as _env
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

TOKEN = TELEGRAM_TOKEN
SECRET = "test-webhook-secret"
SID = TWILIO_SID
AUTH = TWILIO_AUTH
BOT_NUMBER = "+447700900000"
_ids = itertools.count(1000)


def _chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": "Test"}


def text_update(chat_id: int, body: str) -> dict[str, Any]:
    update_id = next(_ids)
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1773136800,
            "chat": _chat(chat_id),
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "text": body,
        },
    }


def press_update(chat_id: int, markup: dict[str, Any], label: str) -> dict[str, Any]:
    """Press the button with this label on the keyboard the bot last sent."""
    buttons = [b for row in markup["inline_keyboard"] for b in row]
    (button,) = [b for b in buttons if b["text"] == label]
    update_id = next(_ids)
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test"},
            "chat_instance": "42",
            "data": button["callback_data"],
            "message": {
                "message_id": 77,
                "date": 1773136800,
                "chat": _chat(chat_id),
                "text": "question",
                "reply_markup": markup,
            },
        },
    }


def _wait(fake: Any, predicate: Callable[[], bool], what: str, log: Path) -> None:
    if not fake.wait_for(lambda *_: predicate(), timeout=30):
        pytest.fail(f"timed out waiting for {what}\n--- log ---\n{log.read_text()[-4000:]}")


def _telegram_onboarding(
    fake: FakeTelegram, deliver: Callable[[dict[str, Any]], None], chat_id: int, log: Path
) -> None:
    def replies() -> list[Any]:
        return fake.sent_messages(str(chat_id))

    def after(update: dict[str, Any], expect: int) -> dict[str, Any]:
        deliver(update)
        _wait(fake, lambda: len(replies()) >= expect, f"{expect} replies", log)
        last: dict[str, Any] = replies()[-1].params
        return last

    last = after(text_update(chat_id, "/start feltham"), 2)
    assert "Feltham Early Learning Community" in replies()[0].params["text"]
    last = after(press_update(chat_id, last["reply_markup"], "Yes, I agree"), 4)
    last = after(press_update(chat_id, last["reply_markup"], "Already born"), 5)
    last = after(text_update(chat_id, "1/5/2025"), 6)
    last = after(text_update(chat_id, "Sam"), 7)
    last = after(press_update(chat_id, last["reply_markup"], "No, that's all"), 8)
    assert "Sam: born 1 May 2025" in last["text"]
    last = after(press_update(chat_id, last["reply_markup"], "Yes, that's right"), 9)
    assert "All done, thank you!" in last["text"]
    _wait(fake, lambda: fake.count("answerCallbackQuery") >= 4, "spinners stopped", log)
    _wait(fake, lambda: fake.count("editMessageText") >= 4, "keyboards replaced", log)


def _contact_statuses(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        statuses = list(connection.scalars(select(Contact.status)))
    engine.dispose()
    return statuses


def test_telegram_webhook_onboarding(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    env = _env(
        database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake_telegram.origin,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PUBLIC_BASE_URL="https://bot.example.org",
    )
    served = Served(tmp_path, env)
    try:
        served.wait_healthy()

        def deliver(update: dict[str, Any]) -> None:
            response = httpx.post(
                f"{served.base}/webhooks/telegram",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert response.status_code == 200

        wrong = httpx.post(
            f"{served.base}/webhooks/telegram",
            json=text_update(700900601, "hi"),
            headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
        )
        assert wrong.status_code == 403
        update = text_update(700900600, "/start feltham")
        deliver(update)
        deliver(update)  # Telegram's retry of the same update_id
        _telegram_onboarding(fake_telegram, deliver, 700900601, served.log_path)
        assert len(fake_telegram.sent_messages("700900600")) == 2  # answered once, not twice
    finally:
        served.stop()
    assert sorted(_contact_statuses(database_url)) == ["active", "onboarding"]
    log = served.log_path.read_text()
    assert "700900601" not in log  # no chat ids in the INFO log
    assert TOKEN not in log and SECRET not in log


def test_telegram_long_polling_onboarding(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    env = _env(database_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake_telegram.origin)
    served = Served(tmp_path, env)
    try:
        served.wait_healthy()
        _telegram_onboarding(fake_telegram, fake_telegram.queue_update, 700900602, served.log_path)
        assert fake_telegram.count("deleteWebhook") >= 1
    finally:
        served.stop()
    assert _contact_statuses(database_url) == ["active"]
    log = served.log_path.read_text()
    assert TOKEN not in log and "700900602" not in log


def test_sms_onboarding_with_signed_webhooks_and_status_callbacks(
    tmp_path: Path, database_url: str, fake_twilio: FakeTwilio
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    env = _env(
        database_url,
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=AUTH,
        TWILIO_FROM_NUMBER=BOT_NUMBER,
        TWILIO_API_BASE_URL=fake_twilio.origin,
        PUBLIC_BASE_URL=public,
    )
    served = Served(tmp_path, env, port=port)
    parent = "+447700900603"
    validator = RequestValidator(AUTH)
    try:
        served.wait_healthy()

        def say(body: str, expect: int) -> str:
            form = {
                "MessageSid": f"SM{next(_ids):032d}",
                "AccountSid": SID,
                "From": parent,
                "To": BOT_NUMBER,
                "Body": body,
                "NumMedia": "0",
            }
            url = f"{public}/webhooks/twilio/sms"
            signature = validator.compute_signature(url, form)
            response = httpx.post(url, data=form, headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200
            assert "<Response/>" in response.text
            _wait(
                fake_twilio, lambda: len(fake_twilio.sent(parent)) >= expect, body, served.log_path
            )
            return str(fake_twilio.sent(parent)[-1].params["Body"])

        forged = httpx.post(
            f"{public}/webhooks/twilio/sms",
            data={"MessageSid": "SMforged", "From": parent, "Body": "STOP"},
            headers={"X-Twilio-Signature": "forged"},
        )
        assert forged.status_code == 403
        assert "1 Yes, I agree\n2 No thanks" in say("feltham", 2)
        say("1", 4)
        say("2", 5)
        say("1/5/2025", 6)
        say("Sam", 7)
        assert "- Sam: born 1 May 2025" in say("2", 8)
        assert "All done, thank you!" in say("1", 9)
        first = fake_twilio.sent(parent)[0]
        assert first.params["StatusCallback"] == f"{public}/webhooks/twilio/status"
        assert first.params["From"] == BOT_NUMBER
        sid = str(first.sid)
        assert fake_twilio.deliver_status(sid, "delivered") in (200, 204)
        assert fake_twilio.deliver_status(sid, "sent") in (200, 204)  # late, out of order
    finally:
        served.stop()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(select(Outbox.provider_message_id, Outbox.delivery_status)).all()
        )
        assert connection.scalar(select(func.count()).select_from(InboundMessage)) == 7
        assert connection.scalar(select(Contact.status)) == "active"
    engine.dispose()
    assert statuses[sid] == "delivered"
    log = served.log_path.read_text()
    assert parent not in log  # no phone numbers in the INFO log
    assert AUTH not in log and "All done" not in log  # no credentials, no message bodies


def test_a_worker_killed_mid_send_loses_nothing(
    tmp_path: Path, database_url: str, fake_telegram: FakeTelegram
) -> None:
    """kill -9 while the provider call is in flight: after the lease, another worker sends it."""
    env = _env(
        database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake_telegram.origin,
        OUTBOX_LEASE_SECONDS="3",
    )
    _queue_reply(tmp_path, database_url, "700900604", "Hello")
    engine = create_engine(database_url)

    def status() -> str:
        with engine.connect() as connection:
            return str(connection.scalar(select(Outbox.status)))

    fake_telegram.latency = 3.0
    first = Served(tmp_path, env, command="worker")
    for _ in range(300):
        if status() == "sending":
            break
        time.sleep(0.05)
    time.sleep(0.5)  # the request is now in flight at the slow fake
    first.stop(kill=True)
    fake_telegram.latency = 0.0
    second = Served(tmp_path, env, command="worker")
    try:
        for _ in range(300):
            if status() == "sent":
                break
            time.sleep(0.05)
    finally:
        second.stop()
    with engine.connect() as connection:
        row = connection.execute(select(Outbox.status, Outbox.attempts)).one()
    engine.dispose()
    assert (row.status, row.attempts) == ("sent", 2)
    assert 1 <= len(fake_telegram.sent_messages("700900604")) <= 2  # at most one duplicate


def _queue_reply(tmp_path: Path, database_url: str, chat_id: str, body: str) -> None:
    """A real contact with one queued reply, written through the storage layer."""
    container = build(make_settings(database_url, tmp_path))
    prepare_database(container)
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, Channel.TELEGRAM, chat_id, "feltham", FIXED_NOW)
        outbox.enqueue(
            session, identity.contact_id, identity, OutgoingMessage(body, ("en",)), FIXED_NOW
        )
    container.close()


def test_set_webhook_registers_the_public_url_with_the_secret(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    env = _env(
        f"sqlite:///{tmp_path}/x.db",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake_telegram.origin,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        PUBLIC_BASE_URL="https://elc.example.org",
    )
    result = run_bot(tmp_path, env, "telegram", "set-webhook")
    assert result.returncode == 0, result.stderr
    assert fake_telegram.webhook["url"] == "https://elc.example.org/webhooks/telegram"
    assert fake_telegram.webhook["secret_token"] == SECRET
    assert "callback_query" in fake_telegram.webhook["allowed_updates"]
    env.pop("TELEGRAM_WEBHOOK_SECRET")
    refused = run_bot(tmp_path, env, "telegram", "set-webhook")
    assert refused.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in refused.stderr and "Traceback" not in refused.stderr
