"""The real python-telegram-bot and twilio clients against fake servers, through the dispatcher."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.container import Container
from bot.senders import Outcome
from conversations.types import Channel, Choice, ContactStatus, OutgoingMessage
from storage import contacts, outbox
from storage.db import transaction
from storage.models import Contact, ContactIdentity, Outbox
from tests.conftest import TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import run_dispatcher as _run
from tests.integration.dispatching import sms_dispatcher as _sms
from tests.integration.dispatching import telegram_dispatcher as _telegram

TOKEN = TELEGRAM_TOKEN
SID = TWILIO_SID
AUTH = TWILIO_AUTH
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
QUESTION = OutgoingMessage(
    "Ydych chi'n cytuno?", ("cy",), (Choice("consent:yes", "Ydw"), Choice("consent:no", "Na"))
)


def _queue(container: Container, channel: Channel, address: str, count: int = 1) -> int:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, channel, address, "bettws", NOW)
        session.get_one(Contact, identity.contact_id).status = ContactStatus.ACTIVE.value
        for _ in range(count):
            outbox.enqueue(session, identity.contact_id, identity, QUESTION, NOW)
        return identity.contact_id


def _rows(container: Container) -> list[Outbox]:
    with transaction(container.sessions) as session:
        return list(session.scalars(select(Outbox).order_by(Outbox.id)))


def test_telegram_happy_path_sends_text_and_inline_keyboard(
    container: Container, fake_telegram: FakeTelegram
) -> None:
    _queue(container, Channel.TELEGRAM, "700900701")
    _run(_telegram(container, fake_telegram), seconds=2)
    (call,) = fake_telegram.sent_messages("700900701")
    assert call.params["text"] == "Ydych chi'n cytuno?"
    keyboard = call.params["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        ["consent:yes", "consent:no"]
    ]
    (row,) = _rows(container)
    assert (row.status, row.delivery_status) == ("sent", "sent")
    assert row.provider_message_id is not None


def test_telegram_429_then_success_is_delivered_exactly_once(
    container: Container, fake_telegram: FakeTelegram
) -> None:
    _queue(container, Channel.TELEGRAM, "700900702")
    fake_telegram.fail_next("sendMessage", 2, 429)
    _run(_telegram(container, fake_telegram), seconds=10)
    assert len(fake_telegram.sent_messages("700900702")) == 1
    assert fake_telegram.count("sendMessage") == 3
    assert _rows(container)[0].status == "sent"


def test_telegram_403_marks_the_chat_unreachable(
    container: Container, fake_telegram: FakeTelegram
) -> None:
    _queue(container, Channel.TELEGRAM, "700900703", count=2)
    fake_telegram.block_chat("700900703")
    _run(_telegram(container, fake_telegram), seconds=5)
    assert fake_telegram.count("sendMessage") == 1  # the second is never attempted
    assert [r.status for r in _rows(container)] == ["failed", "failed"]
    with transaction(container.sessions) as session:
        identity = session.scalars(select(ContactIdentity)).one()
        assert identity.reachable is False


def test_telegram_5xx_storm_backs_off_then_delivers(
    container: Container, fake_telegram: FakeTelegram
) -> None:
    _queue(container, Channel.TELEGRAM, "700900704")
    fake_telegram.fail_next("sendMessage", 3, 502)
    _run(_telegram(container, fake_telegram), seconds=60)
    assert len(fake_telegram.sent_messages("700900704")) == 1
    assert fake_telegram.count("sendMessage") == 4  # backoff: no retry storm
    assert _rows(container)[0].attempts == 4


def test_sms_happy_path_renders_numbered_options_with_a_status_callback(
    container: Container, fake_twilio: FakeTwilio
) -> None:
    _queue(container, Channel.SMS, "+447700900705")
    _run(_sms(container, fake_twilio), seconds=2)
    (call,) = fake_twilio.sent("+447700900705")
    assert call.params["Body"] == "Ydych chi'n cytuno?\n\n1 Ydw\n2 Na\n\nAtebwch gyda rhif."
    assert call.params["StatusCallback"] == "https://bot.example.org/webhooks/twilio/status"
    (row,) = _rows(container)
    assert (row.status, row.delivery_status, row.provider_message_id) == (
        "sent",
        "queued",
        call.sid,
    )
    assert row.segments == 1


def test_sms_21610_opts_the_parent_out(container: Container, fake_twilio: FakeTwilio) -> None:
    contact_id = _queue(container, Channel.SMS, "+447700900706")
    fake_twilio.opt_out("+447700900706")
    _run(_sms(container, fake_twilio), seconds=2)
    assert _rows(container)[0].status == "failed"
    assert _rows(container)[0].error_code == "21610"
    with transaction(container.sessions) as session:
        assert session.get_one(Contact, contact_id).status == ContactStatus.OPTED_OUT.value


def test_sms_invalid_number_is_flagged_not_retried(
    container: Container, fake_twilio: FakeTwilio
) -> None:
    _queue(container, Channel.SMS, "+447700900707")
    fake_twilio.invalid("+447700900707")
    _run(_sms(container, fake_twilio), seconds=5)
    assert fake_twilio.count("+447700900707") == 1
    with transaction(container.sessions) as session:
        identity = session.scalars(select(ContactIdentity)).one()
        assert (identity.reachable, identity.unreachable_reason) == (False, "21211")


def test_sms_5xx_storm_is_retried_with_backoff_then_delivered_once(
    container: Container, fake_twilio: FakeTwilio
) -> None:
    _queue(container, Channel.SMS, "+447700900708")
    fake_twilio.fail_next(3, 503)
    _run(_sms(container, fake_twilio), seconds=60)
    assert len(fake_twilio.sent("+447700900708")) == 1
    assert fake_twilio.count("+447700900708") == 4


def test_button_press_is_acknowledged_and_the_keyboard_replaced(
    container: Container, fake_telegram: FakeTelegram
) -> None:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, Channel.TELEGRAM, "700900709", "bettws", NOW)
        from conversations.types import ButtonPress

        press = ButtonPress("cb1", 77, "Ydych chi'n cytuno?", "Ydw")
        outbox.enqueue_button_ack(session, identity.contact_id, identity, press, NOW)
    _run(_telegram(container, fake_telegram), seconds=2)
    assert fake_telegram.count("answerCallbackQuery") == 1
    (edit,) = [c for c in fake_telegram.calls if c.method == "editMessageText"]
    assert edit.params["text"] == "Ydych chi'n cytuno?\n\n\u2713 Ydw"
    assert "reply_markup" not in edit.params


def test_an_old_button_press_that_telegram_refuses_is_not_retried(
    container: Container, fake_telegram: FakeTelegram
) -> None:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, Channel.TELEGRAM, "700900710", "bettws", NOW)
        from conversations.types import ButtonPress

        outbox.enqueue_button_ack(session, identity.contact_id, identity, ButtonPress("old"), NOW)
    fake_telegram.fail_next(
        "answerCallbackQuery",
        1,
        400,
        {"ok": False, "error_code": 400, "description": "Bad Request: query is too old"},
    )
    _run(_telegram(container, fake_telegram), seconds=3)
    assert fake_telegram.count("answerCallbackQuery") == 1
    assert _rows(container)[0].status == "sent"


@pytest.mark.parametrize("outcome", list(Outcome))
def test_outcomes_are_plain_strings_for_logs(outcome: Outcome) -> None:
    assert str(outcome) == outcome.value
