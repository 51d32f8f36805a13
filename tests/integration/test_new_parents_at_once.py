"""New parents in a batch: made together, and a race with another process for one of them.

A batch makes the contacts of everyone writing for the first time in two statements
(`contacts.create_many`). Should another process create the same new parent at that moment
(a webhook retried to a second web process, say), the identity's unique key refuses the batch's
row: the batch is rolled back and its messages are received one at a time, and the parent ends
up with one contact, their message answered once.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from sqlalchemy import select, text

from bot.container import Container
from bot.group_commit import GroupCommit
from bot.inbound import Outcome, Receipt
from conversations.types import Channel, InboundMessage
from storage import contacts
from storage.db import transaction
from storage.models import ContactIdentity, Outbox
from tests.conftest import FIXED_NOW

KNOWN, NEWCOMER = "+447700900420", "+447700900421"


def _sms(provider_id: str, body: str, address: str) -> InboundMessage:
    return InboundMessage(Channel.SMS, address, provider_id, FIXED_NOW, text=body)


def _replies(container: Container, address: str) -> list[str]:
    with transaction(container.sessions) as session:
        contact_ids = session.scalars(
            select(ContactIdentity.contact_id).where(ContactIdentity.address == address)
        ).all()
        assert len(contact_ids) == 1  # one identity, so one contact
        found = select(Outbox.message).where(Outbox.contact_id == contact_ids[0])
        return [message["text"] for message in session.scalars(found.order_by(Outbox.id))]


def test_new_parents_of_one_batch_are_each_made_once(container: Container) -> None:
    parents = [f"+44770090043{n}" for n in range(3)]
    batch = [_sms(f"hi{n}", "feltham", parent) for n, parent in enumerate(parents)]
    batch.append(_sms("hi0", "feltham", parents[0]))  # the first one's webhook, retried
    receipts = container.inbound.receive_many(batch)
    assert [r.outcome for r in receipts] == [Outcome.PROCESSED] * 3 + [Outcome.DUPLICATE]
    for parent in parents:
        assert "Feltham" in _replies(container, parent)[0]  # welcomed, once each


def test_a_new_parent_made_by_another_process_meanwhile_is_answered_once(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    if container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's one writer never lets two transactions overlap")
    container.inbound.receive(_sms("join", "feltham", KNOWN))
    made, errors = threading.Event(), []

    def another_process() -> None:
        """Creates the same new parent, and commits only once the batch waits on it."""
        try:
            with transaction(container.sessions) as session:
                contacts.create(session, Channel.SMS, NEWCOMER, "feltham", FIXED_NOW)
                made.set()
                _until_a_transaction_waits_for_a_lock(container)
        except BaseException as error:
            errors.append(error)

    other = threading.Thread(target=another_process, daemon=True)
    other.start()
    assert made.wait(timeout=30)
    group = GroupCommit(container.inbound)

    async def together() -> list[Receipt]:
        return await asyncio.gather(
            group.receive(_sms("new", "feltham", NEWCOMER)),
            group.receive(_sms("known", "tips", KNOWN)),
        )

    caplog.set_level(logging.WARNING, logger="bot.group_commit")
    receipts = asyncio.run(together())
    other.join(timeout=30)
    assert errors == []
    assert "a batch of 2 failed (IntegrityError): one at a time" in caplog.text
    assert [r.outcome for r in receipts] == [Outcome.PROCESSED, Outcome.PROCESSED]
    assert "Feltham" in _replies(container, NEWCOMER)[0]  # one contact, welcomed


def _until_a_transaction_waits_for_a_lock(container: Container) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 30
    with container.database.connect() as connection:
        while not connection.execute(waiting).scalar_one():
            assert time.monotonic() < deadline, "the batch never waited"
            time.sleep(0.02)
