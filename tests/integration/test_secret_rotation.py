"""Rotating the Telegram webhook secret and the Twilio auth token without refusing a request.

While TELEGRAM_WEBHOOK_SECRET_PREVIOUS / TWILIO_AUTH_TOKEN_PREVIOUS are set, requests made with
the old value are still taken; once they are removed, the old value is refused like any other.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.container import build, prepare_database
from bot.web import create_app
from tests.conftest import make_settings
from tests.integration.test_webhook_http import (
    PUBLIC,
    SMS,
    TG,
    RecordingInbound,
    RecordingStatus,
    _sign,
    _sms_form,
    _text_update,
)
from webhooks.ports import InThread
from webhooks.telegram import telegram_router
from webhooks.twilio import twilio_router

OLD_SECRET, NEW_SECRET = "old-webhook-secret-not-real", "new-webhook-secret-not-real"
OLD_TOKEN, NEW_TOKEN = "old-auth-token-not-real", "new-auth-token-not-real"


def _client(inbound: RecordingInbound, previous: bool) -> TestClient:
    app = FastAPI()
    app.include_router(
        telegram_router(InThread(inbound), NEW_SECRET, OLD_SECRET if previous else None)
    )
    app.include_router(
        twilio_router(
            InThread(inbound), RecordingStatus(), NEW_TOKEN, PUBLIC, OLD_TOKEN if previous else None
        )
    )
    return TestClient(app)


def _telegram(client: TestClient, secret: str, update_id: int) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
    return client.post(TG, json=_text_update(update_id=update_id), headers=headers).status_code


def _sms(client: TestClient, token: str, sid: str) -> int:
    form = _sms_form(MessageSid=sid)
    headers = {"X-Twilio-Signature": _sign(PUBLIC + SMS, form, token)}
    return client.post(SMS, data=form, headers=headers).status_code


def test_during_a_rotation_the_old_and_the_new_secret_are_both_taken() -> None:
    inbound = RecordingInbound()
    client = _client(inbound, previous=True)
    assert _telegram(client, OLD_SECRET, 1) == 200
    assert _telegram(client, NEW_SECRET, 2) == 200
    assert _telegram(client, "a-guess", 3) == 403
    assert _sms(client, OLD_TOKEN, "SM" + "1" * 32) == 200
    assert _sms(client, NEW_TOKEN, "SM" + "2" * 32) == 200
    assert _sms(client, "a-guess", "SM" + "3" * 32) == 403
    assert [m.provider_id for m in inbound.messages] == ["1", "2", "SM" + "1" * 32, "SM" + "2" * 32]


def test_after_the_rotation_the_old_secret_is_refused_and_nothing_is_stored() -> None:
    inbound = RecordingInbound()
    client = _client(inbound, previous=False)
    assert _telegram(client, OLD_SECRET, 1) == 403
    assert _sms(client, OLD_TOKEN, "SM" + "1" * 32) == 403
    assert inbound.messages == []
    assert _telegram(client, NEW_SECRET, 2) == 200
    assert _sms(client, NEW_TOKEN, "SM" + "2" * 32) == 200


def test_a_previous_secret_alone_opens_nothing() -> None:
    """Webhooks stay shut until the current secret is configured, whatever the previous is."""
    inbound = RecordingInbound()
    app = FastAPI()
    app.include_router(telegram_router(InThread(inbound), None, OLD_SECRET))
    app.include_router(twilio_router(InThread(inbound), RecordingStatus(), None, PUBLIC, OLD_TOKEN))
    client = TestClient(app)
    assert _telegram(client, OLD_SECRET, 1) == 403
    assert _sms(client, OLD_TOKEN, "SM" + "1" * 32) == 403
    assert inbound.messages == []


def test_the_app_reads_the_previous_values_from_the_environment_names(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET_PREVIOUS", OLD_SECRET)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_PREVIOUS", OLD_TOKEN)
    settings = make_settings(
        database_url,
        tmp_path,
        public_base_url=PUBLIC,
        telegram_bot_token="123456:TEST-not-a-real-token",
        telegram_webhook_secret=NEW_SECRET,
        twilio_account_sid="AC00000000000000000000000000000000",
        twilio_auth_token=NEW_TOKEN,
    )
    container = build(settings)
    prepare_database(container)
    try:
        client = TestClient(create_app(container))
        assert _telegram(client, OLD_SECRET, 700001) == 200
        assert _sms(client, OLD_TOKEN, "SM" + "4" * 32) == 200
        assert _telegram(client, "a-guess", 700002) == 403
    finally:
        container.close()
