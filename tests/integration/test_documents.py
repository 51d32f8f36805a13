"""Calendar files (.ics) through the outbox: the real clients against the fakes, and the chat."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import event_yaml
from bot.chat import TerminalChat, document_placeholder
from bot.container import Container
from conversations.events.ics import calendar_file
from conversations.events.model import Event
from conversations.types import Channel, ContactStatus, OutgoingMessage
from storage import contacts, outbox
from storage.db import transaction
from storage.models import Contact, ContactIdentity, Outbox
from tests.conftest import FIXED_NOW
from tests.fakes.telegram_api import FakeTelegram, UploadedFile
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import run_dispatcher as _run
from tests.integration.dispatching import sms_dispatcher as _sms
from tests.integration.dispatching import telegram_dispatcher as _telegram

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 10:00 in London: not quiet hours
RHYME_TIME = Path(__file__).parents[2] / "examples" / "events" / "rhyme-time.yaml"
FILENAME = "rhyme-time.ics"
CAPTION = "Rhyme time at Bettws Library: add it to your calendar."


def _event() -> Event:
    event, problems = event_yaml.load(RHYME_TIME)
    assert event is not None, problems
    return event


@pytest.fixture(scope="module")
def ics() -> bytes:
    return calendar_file(_event(), "en", NOW)


def _queue_document(
    container: Container, channel: Channel, address: str, content: bytes, caption: str = CAPTION
) -> int:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, channel, address, "bettws", NOW)
        session.get_one(Contact, identity.contact_id).status = ContactStatus.ACTIVE.value
        row = outbox.enqueue_document(
            session, identity.contact_id, identity, FILENAME, content, caption, NOW, locales=["en"]
        )
        session.flush()
        return row.id


def _row(container: Container, row_id: int) -> Outbox:
    with transaction(container.sessions) as session:
        row = session.get_one(Outbox, row_id)
        session.expunge(row)
        return row


def test_a_real_calendar_file_is_small_and_stored_as_base64(
    container: Container, ics: bytes
) -> None:
    assert ics.startswith(b"BEGIN:VCALENDAR") and len(ics) < outbox.MAX_DOCUMENT_BYTES
    row_id = _queue_document(container, Channel.TELEGRAM, "700900801", ics)
    row = _row(container, row_id)
    assert (row.kind, row.priority, row.status) == ("reply", 0, "queued")
    assert row.message == {
        "type": "document",
        "filename": FILENAME,
        "content_b64": base64.b64encode(ics).decode("ascii"),
        "caption": CAPTION,
        "locales": ["en"],
    }
    assert outbox.document_of(row.message) == outbox.Document(FILENAME, ics, CAPTION, ("en",))
    with pytest.raises(ValueError, match="not a text message"):
        outbox.message_of(row)


def test_telegram_receives_the_exact_file_with_its_name_and_caption(
    container: Container, fake_telegram: FakeTelegram, ics: bytes
) -> None:
    row_id = _queue_document(container, Channel.TELEGRAM, "700900802", ics)
    _run(_telegram(container, fake_telegram), seconds=2)
    (call,) = fake_telegram.sent_documents("700900802")
    upload = call.params["document"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.data) == (FILENAME, ics)
    assert upload.content_type == "text/calendar"
    assert call.params["caption"] == CAPTION
    assert fake_telegram.count("sendMessage") == 0
    answered = call.result["document"]
    assert answered["file_name"] == FILENAME and answered["file_size"] == len(ics)
    assert answered["mime_type"] == "text/calendar" and answered["file_id"]
    row = _row(container, row_id)
    assert (row.status, row.delivery_status) == ("sent", "sent")
    assert row.provider_message_id == str(call.result["message_id"])


def test_a_document_without_a_caption_is_sent_without_one(
    container: Container, fake_telegram: FakeTelegram, ics: bytes
) -> None:
    _queue_document(container, Channel.TELEGRAM, "700900803", ics, caption="")
    _run(_telegram(container, fake_telegram), seconds=2)
    (call,) = fake_telegram.sent_documents("700900803")
    assert "caption" not in call.params


def test_telegram_429_then_success_delivers_the_file_once(
    container: Container, fake_telegram: FakeTelegram, ics: bytes
) -> None:
    row_id = _queue_document(container, Channel.TELEGRAM, "700900804", ics)
    fake_telegram.fail_next("sendDocument", 1, 429)
    _run(_telegram(container, fake_telegram), seconds=10)
    assert fake_telegram.count("sendDocument") == 2
    (call,) = fake_telegram.sent_documents("700900804")
    assert call.params["document"].data == ics
    row = _row(container, row_id)
    assert (row.status, row.attempts) == ("sent", 2)


def test_telegram_403_on_a_document_marks_the_chat_unreachable(
    container: Container, fake_telegram: FakeTelegram, ics: bytes
) -> None:
    row_id = _queue_document(container, Channel.TELEGRAM, "700900805", ics)
    fake_telegram.block_chat("700900805")
    _run(_telegram(container, fake_telegram), seconds=5)
    assert fake_telegram.count("sendDocument") == 1
    assert (_row(container, row_id).status, _row(container, row_id).error_code) == (
        "failed",
        "403",
    )
    with transaction(container.sessions) as session:
        assert session.scalars(select(ContactIdentity)).one().reachable is False


def test_a_document_for_sms_fails_permanently_without_calling_twilio(
    container: Container, fake_twilio: FakeTwilio, ics: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    row_id = _queue_document(container, Channel.SMS, "+447700900806", ics)
    with caplog.at_level(logging.INFO):
        _run(_sms(container, fake_twilio), seconds=30)
    assert fake_twilio.calls == []
    row = _row(container, row_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert (row.error_code, row.error_detail) == ("unsupported", "SMS cannot carry files")
    with transaction(container.sessions) as session:
        assert session.scalars(select(ContactIdentity)).one().reachable is True
    assert "+447700900806" not in caplog.text and CAPTION not in caplog.text


def test_a_text_after_a_failed_sms_document_is_still_sent(
    container: Container, fake_twilio: FakeTwilio, ics: bytes
) -> None:
    _queue_document(container, Channel.SMS, "+447700900807", ics)
    with transaction(container.sessions) as session:
        identity = session.scalars(select(ContactIdentity)).one()
        message = OutgoingMessage("See you at rhyme time!", ("en",))
        outbox.enqueue(session, identity.contact_id, identity, message, NOW)
    _run(_sms(container, fake_twilio), seconds=3)
    (call,) = fake_twilio.sent("+447700900807")
    assert call.params["Body"] == "See you at rhyme time!"


def test_documents_over_64_kib_or_empty_are_refused(container: Container) -> None:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, Channel.TELEGRAM, "700900808", "bettws", NOW)
        with pytest.raises(ValueError, match="over 65536"):
            outbox.enqueue_document(
                session, identity.contact_id, identity, "big.ics", b"x" * 65537, "", NOW
            )
        with pytest.raises(ValueError, match="empty"):
            outbox.enqueue_document(session, identity.contact_id, identity, "e.ics", b"", "", NOW)
        with pytest.raises(ValueError, match="file name"):
            outbox.enqueue_document(
                session, identity.contact_id, identity, "../x.ics", b"x", "", NOW
            )
        exactly = outbox.enqueue_document(
            session, identity.contact_id, identity, "ok.ics", b"x" * 65536, "", NOW
        )
        assert "locales" not in exactly.message


def test_the_terminal_chat_shows_a_placeholder_for_the_file(
    container: Container, ics: bytes
) -> None:
    chat = TerminalChat(container.inbound, Channel.TELEGRAM, "700900809", clock=lambda: FIXED_NOW)
    assert chat.send("/start bettws")  # the welcome, with its buttons
    buttons = chat.buttons
    assert chat.contact_id is not None
    with transaction(container.sessions) as session:
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == chat.contact_id)
        ).one()
        outbox.enqueue_document(
            session, chat.contact_id, identity, FILENAME, ics, CAPTION, FIXED_NOW
        )
    assert chat.flush() == [f"[calendar file: {FILENAME}]\n{CAPTION}"]
    assert chat.buttons == buttons  # a file has no buttons: the last ones still count
    with transaction(container.sessions) as session:
        assert outbox.queued_for_contact(session, chat.contact_id) == []


def test_the_terminal_chat_on_sms_shows_no_file_and_fails_it(
    container: Container, ics: bytes
) -> None:
    chat = TerminalChat(container.inbound, Channel.SMS, "+447700900810", clock=lambda: FIXED_NOW)
    assert chat.send("Hi")
    assert chat.contact_id is not None
    with transaction(container.sessions) as session:
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == chat.contact_id)
        ).one()
        row = outbox.enqueue_document(
            session, chat.contact_id, identity, FILENAME, ics, CAPTION, FIXED_NOW
        )
        session.flush()
        row_id = row.id
    assert chat.flush() == []
    row = _row(container, row_id)
    assert (row.status, row.error_code) == ("failed", "unsupported")


def test_only_an_ics_file_is_called_a_calendar_file() -> None:
    name = f"{_event().id}.ics"
    assert document_placeholder(outbox.Document(name, b"x")) == f"[calendar file: {name}]"
    assert document_placeholder(outbox.Document("notes.txt", b"x")) == "[file: notes.txt]"
