"""Storing and processing inbound messages: exactly once, in order, and never lost."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.container import Container
from bot.inbound import DatabaseUnavailable, InboundService, Outcome
from conversations.engine import Engine
from conversations.types import Channel, ContactSnapshot, InboundMessage
from storage.db import make_engine, session_factory, transaction
from storage.models import Contact, Outbox
from storage.models import InboundMessage as InboundRow
from tests.conftest import FIXED_NOW


def _sms(provider_id: str, text: str, address: str = "+447700900201") -> InboundMessage:
    return InboundMessage(
        channel=Channel.SMS,
        address=address,
        provider_id=provider_id,
        received_at=FIXED_NOW,
        text=text,
    )


def _counts(container: Container) -> tuple[int, int]:
    with transaction(container.sessions) as session:
        inbound = session.scalar(select(func.count()).select_from(InboundRow)) or 0
        outbox = session.scalar(select(func.count()).select_from(Outbox)) or 0
        return inbound, outbox


def test_a_repeated_provider_id_is_stored_and_answered_once(container: Container) -> None:
    first = container.inbound.receive(_sms("SM0001", "feltham"))
    again = container.inbound.receive(_sms("SM0001", "feltham"))
    assert first.outcome is Outcome.PROCESSED
    assert again.outcome is Outcome.DUPLICATE
    assert _counts(container) == (1, 2)  # one message in; welcome + privacy question out


def test_the_same_provider_id_on_another_channel_is_a_different_message(
    container: Container,
) -> None:
    container.inbound.receive(_sms("42", "feltham"))
    container.inbound.receive(
        InboundMessage(Channel.TELEGRAM, "700900201", "42", FIXED_NOW, text="hi")
    )
    assert _counts(container)[0] == 2


class ExplodingEngine(Engine):
    """An engine with a bug, to prove a crash in processing loses nothing."""

    def __init__(self, real: Engine) -> None:
        super().__init__(real.config)
        self.explode = True

    def step(self, contact: ContactSnapshot, event: InboundMessage, now):  # type: ignore[no-untyped-def]
        if self.explode:
            raise RuntimeError("boom")
        return super().step(contact, event, now)


def test_a_crash_while_processing_keeps_the_message_for_the_sweeper(container: Container) -> None:
    engine = ExplodingEngine(container.engine)
    service = InboundService(container.sessions, engine, clock=lambda: FIXED_NOW)
    receipt = service.receive(_sms("SM0002", "feltham"))
    assert receipt.outcome is Outcome.DEFERRED
    assert _counts(container) == (1, 0)
    engine.explode = False
    assert service.sweep() == 1
    assert _counts(container) == (1, 2)
    assert service.sweep() == 0  # nothing left, nothing sent twice
    assert _counts(container) == (1, 2)


def test_a_message_that_always_fails_stops_being_retried(container: Container) -> None:
    engine = ExplodingEngine(container.engine)
    service = InboundService(container.sessions, engine, clock=lambda: FIXED_NOW)
    service.receive(_sms("SM0003", "hi"))
    service.sweep()
    service.sweep()
    assert service.sweep() == 0
    with transaction(container.sessions) as session:
        row = session.scalars(select(InboundRow)).one()
        assert (row.attempts, row.error, row.processed_at) == (3, "RuntimeError", None)


def test_an_unreachable_database_is_reported_for_a_503(container: Container) -> None:
    dead = session_factory(make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    service = InboundService(dead, container.engine)
    with pytest.raises(DatabaseUnavailable):
        service.receive(_sms("SM0004", "hi"))


class SignallingService(InboundService):
    """Tells the test when a message is stored (its contact locked), then lingers."""

    stored = threading.Event()

    def _process_one(self, session: Session, contact: Contact, *args: Any) -> None:
        self.stored.set()
        time.sleep(0.02)  # widen the window in which the next messages wait for the lock
        super()._process_one(session, contact, *args)


def test_concurrent_messages_from_one_parent_are_processed_one_at_a_time_in_order(
    container: Container,
) -> None:
    times = iter(FIXED_NOW + timedelta(seconds=i) for i in range(1000))
    lock = threading.Lock()

    def clock():  # type: ignore[no-untyped-def]
        with lock:
            return next(times)

    service = SignallingService(container.sessions, container.engine, clock=clock)
    service.receive(_sms("SM1000", "feltham"))
    replies = ["1", "2", "1/5/2025", "Sam", "2", "1"]
    errors: list[BaseException] = []

    def deliver(index: int, text: str) -> None:
        try:
            service.receive(_sms(f"SM2{index:03d}", text))
        except BaseException as error:
            errors.append(error)

    threads = []
    for index, text in enumerate(replies):
        service.stored.clear()
        thread = threading.Thread(target=deliver, args=(index, text))
        thread.start()
        threads.append(thread)
        assert service.stored.wait(timeout=30)  # arrival order is storage order
    for thread in threads:
        thread.join()
    assert errors == []
    with transaction(container.sessions) as session:
        rows = list(session.scalars(select(InboundRow).order_by(InboundRow.id)))
        assert all(row.processed_at is not None for row in rows)
        by_processing = sorted(rows, key=lambda r: (r.processed_at, r.id))
        assert [r.provider_id for r in by_processing] == [r.provider_id for r in rows]
        texts = [row.message["text"] for row in session.scalars(select(Outbox).order_by(Outbox.id))]
    assert "All done, thank you!" in texts[-2]  # then the first tip, as for every late joiner
    assert texts[-1].startswith("Here is your first tip:")
