"""`python -m bot outbox`: staff can see failures (without personal data) and retry them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.container import Container
from bot.dispatcher import Dispatcher, DispatchPolicy
from bot.senders import Outcome, SendResult
from conversations.types import Channel, ContactStatus, OutgoingMessage
from storage import contacts, outbox
from storage.db import transaction
from storage.models import Contact, Outbox
from tests.conftest import FIXED_NOW
from tests.integration.test_dispatcher import ScriptedSender


def _cli(container: Container, tmp_path: Path, *args: str) -> str:
    env = {
        "DATABASE_URL": container.settings.database_url,
        "SECRET_KEY": "test-secret-key-not-real",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_failed_messages_are_visible_without_personal_data_and_can_be_retried(
    container: Container, tmp_path: Path
) -> None:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(
            session, Channel.SMS, "+447700900901", "bettws", FIXED_NOW
        )
        contact = session.get_one(Contact, identity.contact_id)
        contact.status = ContactStatus.ACTIVE.value
        code = contact.code
        outbox.enqueue(
            session, contact.id, identity, OutgoingMessage("Secret body", ("en",)), FIXED_NOW
        )
    sender = ScriptedSender(
        "sms", [SendResult(Outcome.FAILED, error_code="30003", error_detail="Unreachable")]
    )
    dispatcher = Dispatcher(container.sessions, {"sms": sender}, DispatchPolicy())
    asyncio.run(dispatcher.run_once(FIXED_NOW))

    listed = _cli(container, tmp_path, "outbox", "failed")
    assert code in listed and "30003 Unreachable" in listed
    assert "+447700900901" not in listed and "Secret body" not in listed
    assert "failed" in _cli(container, tmp_path, "outbox", "status")

    with transaction(container.sessions) as session:
        (row,) = session.scalars(select(Outbox)).all()
    assert f"message {row.id} queued again" in _cli(
        container, tmp_path, "outbox", "retry", str(row.id)
    )
    asyncio.run(dispatcher.run_once(FIXED_NOW + timedelta(seconds=2)))  # past the chat's 1 s gap
    assert sender.sent == [("+447700900901", "Secret body")]
