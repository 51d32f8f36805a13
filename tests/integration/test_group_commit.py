"""Messages received together in one transaction come out exactly as received one by one."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from bot.container import Container
from bot.events import create
from bot.group_commit import GroupCommit
from bot.inbound import InboundService, Outcome, Receipt
from conversations.engine import Engine
from conversations.types import Channel, ContactSnapshot, InboundMessage
from storage.db import transaction
from storage.models import ContactIdentity, Outbox
from storage.models import InboundMessage as InboundRow
from tests.conftest import FIXED_NOW
from tests.integration.test_events import answers, rhyme_time, texts
from tests.integration.world import ENGLISH_SMS, ENGLISH_TELEGRAM, WELSH_SMS, World, populate

ONBOARDING = ["feltham", "1", "2", "1/5/2025", "Sam", "2", "1"]


def _sms(provider_id: str, text: str, address: str) -> InboundMessage:
    return InboundMessage(Channel.SMS, address, provider_id, FIXED_NOW, text=text)


def _script(prefix: str) -> list[InboundMessage]:
    """Three parents onboarding side by side, interleaved, with a provider's retry among them."""
    parents = [f"+4477009003{n}{prefix}" for n in range(3)]
    script = [
        _sms(f"{prefix}{n}-{step}", text, address)
        for step, text in enumerate(ONBOARDING)
        for n, address in enumerate(parents)
    ]
    script.insert(5, script[4])  # the same webhook twice: Twilio retried it
    script.append(_sms(f"{prefix}x", "what is this", parents[0]))  # nonsense, once onboarded
    return script


def _conversation(container: Container, address: str) -> list[str]:
    with transaction(container.sessions) as session:
        contact_id = session.scalars(
            select(ContactIdentity.contact_id).where(ContactIdentity.address == address)
        ).one()
        return [
            row.message["text"]
            for row in session.scalars(
                select(Outbox).where(Outbox.contact_id == contact_id).order_by(Outbox.id)
            )
        ]


def _receipts_and_conversations(
    container: Container, prefix: str, batches: list[list[InboundMessage]]
) -> tuple[list[Outcome], list[list[str]]]:
    service = container.inbound
    if prefix == "1":  # one by one
        outcomes = [service.receive(message).outcome for batch in batches for message in batch]
    else:
        outcomes = [r.outcome for batch in batches for r in service.receive_many(batch)]
    parents = [f"+4477009003{n}{prefix}" for n in range(3)]
    return outcomes, [_conversation(container, parent) for parent in parents]


@pytest.mark.parametrize("rounds", [False, True], ids=["one batch", "a batch a step"])
def test_a_batch_answers_every_parent_as_one_by_one_would(
    container: Container, rounds: bool
) -> None:
    def batches(prefix: str) -> list[list[InboundMessage]]:
        script = _script(prefix)
        if not rounds:
            return [script]
        # A step at a time: new parents; then one parent twice (the retry) beside two with
        # one message each, which are stored together; then steps of one message a parent;
        # last, the retry once more, in a later batch, beside a message of another parent.
        steps = [script[i : i + 3] for i in range(7, 22, 3)]
        return [script[:3], script[3:7], *steps, [script[4], script[22]]]

    alone = _receipts_and_conversations(container, "1", batches("1"))
    together = _receipts_and_conversations(container, "2", batches("2"))
    assert together == alone
    outcomes, conversations = together
    assert outcomes.count(Outcome.DUPLICATE) == (2 if rounds else 1)
    for conversation in conversations:
        assert len(conversation) >= len(ONBOARDING)  # a whole onboarding, and its first tip
    with transaction(container.sessions) as session:
        rows = session.scalars(select(InboundRow).where(InboundRow.provider_id.like("2%"))).all()
        assert len(rows) == len(_script("2")) - 1  # the retry stored once
        assert all(row.processed_at is not None for row in rows)


class BreaksOn(Engine):
    """An engine with a bug that only one parent's message reaches."""

    def step(self, contact: ContactSnapshot, event: InboundMessage, now: Any) -> Any:
        if event.text == "boom":
            raise RuntimeError("a bug")
        return super().step(contact, event, now)


class HeldService(InboundService):
    """Holds the first message received on its own until told, so that others queue behind it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.release = threading.Event()
        self.holding = threading.Event()

    def receive(self, message: InboundMessage, simulated: bool = False) -> Receipt:
        if not self.holding.is_set():
            self.holding.set()
            self.release.wait(timeout=30)
        return super().receive(message, simulated)


def _batch_behind_a_held_message(
    group: GroupCommit, service: HeldService, batch: list[InboundMessage]
) -> dict[str, Any]:
    """A first message is received (and held) while `batch` arrives, in order; then release."""

    async def outcome(message: InboundMessage) -> Any:
        try:
            return await group.receive(message)
        except Exception as error:
            return error

    async def until(condition: Any) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.001)

    async def scene() -> dict[str, Any]:
        first = asyncio.create_task(outcome(_sms("first", "bettws", "+447700900399")))
        await until(service.holding.is_set)
        others = [asyncio.create_task(outcome(message)) for message in batch]
        await until(lambda: group.queued == len(batch))
        service.release.set()
        answers = await asyncio.wait_for(asyncio.gather(first, *others), timeout=60)
        return dict(zip(["first", *(m.provider_id for m in batch)], answers, strict=True))

    return asyncio.run(scene())


def test_a_bug_in_one_message_of_a_batch_fails_that_message_alone(container: Container) -> None:
    service = HeldService(container.sessions, BreaksOn(container.engine.config), lambda: FIXED_NOW)
    group = GroupCommit(service)
    batch = [
        _sms("a", "feltham", "+447700900301"),
        _sms("b", "boom", "+447700900302"),
        _sms("c", "margate", "+447700900303"),
    ]
    got = _batch_behind_a_held_message(group, service, batch)
    assert {key: receipt.outcome for key, receipt in got.items()} == {
        "first": Outcome.PROCESSED,
        "a": Outcome.PROCESSED,
        "b": Outcome.DEFERRED,  # kept, with its failed attempt, for the sweeper
        "c": Outcome.PROCESSED,
    }
    assert _conversation(container, "+447700900301")  # answered
    assert _conversation(container, "+447700900302") == []
    with transaction(container.sessions) as session:
        kept = session.scalars(select(InboundRow).where(InboundRow.provider_id == "b")).one()
        assert (kept.attempts, kept.processed_at) == (1, None)


def test_receiving_a_batch_is_all_or_nothing(container: Container) -> None:
    service = InboundService(container.sessions, BreaksOn(container.engine.config))
    with pytest.raises(RuntimeError):
        service.receive_many(
            [_sms("a", "feltham", "+447700900301"), _sms("b", "boom", "+447700900302")]
        )
    with transaction(container.sessions) as session:
        assert session.scalars(select(InboundRow)).all() == []


def test_a_parent_twice_in_one_batch_is_answered_in_order(container: Container) -> None:
    service = HeldService(container.sessions, container.engine, lambda: FIXED_NOW)
    group = GroupCommit(service)
    parent = "+447700900305"
    batch = [_sms(f"m{step}", text, parent) for step, text in enumerate(ONBOARDING)]
    got = _batch_behind_a_held_message(group, service, batch)
    assert all(receipt.outcome is Outcome.PROCESSED for receipt in got.values())
    container.inbound.receive_many(
        [_sms(f"n{step}", text, "+447700900306") for step, text in enumerate(ONBOARDING)]
    )
    assert _conversation(container, parent) == _conversation(container, "+447700900306")
    assert any("All done" in text for text in _conversation(container, parent))


def test_batches_received_at_once_lock_their_parents_without_deadlock(
    container: Container,
) -> None:
    if container.database.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's one writer never lets two batches cross")
    parents = [f"+4477009004{n:02d}" for n in range(12)]
    for n, parent in enumerate(parents):
        container.inbound.receive(_sms(f"join{n}", "feltham", parent))
    errors: list[BaseException] = []

    def crossing(order: list[str], tag: str) -> None:
        try:
            for round_ in range(15):
                container.inbound.receive_many(
                    [_sms(f"{tag}{round_}-{p}", "hello", p) for p in order]
                )
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=crossing, args=(parents, "up"), daemon=True),
        threading.Thread(target=crossing, args=(parents[::-1], "down"), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []


def test_a_parent_changed_by_another_in_the_batch_is_read_afresh(world: World) -> None:
    """A place given up frees it for the waiting parent, whose own message, later in the same
    batch, must meet the offer as it would have one message at a time."""
    populate(world)
    assert create(world.container, rhyme_time()).created  # two places
    world.say(WELSH_SMS, "1")
    world.chats[ENGLISH_TELEGRAM].flush()  # the announcement's buttons
    world.say(ENGLISH_TELEGRAM, "1")
    world.say(ENGLISH_SMS, "yes")  # the waiting list
    world.say(WELSH_SMS, "DIGWYDDIADAU", "1")  # about to say Na
    receipts = world.service.receive_many(
        [
            _sms("give-up", "3", WELSH_SMS),  # Na: the place goes to the English parent ...
            _sms("no-thanks", "no", ENGLISH_SMS),  # ... who replies NO to the offer
        ]
    )
    assert [receipt.outcome for receipt in receipts] == [Outcome.PROCESSED, Outcome.PROCESSED]
    assert answers(world)[WELSH_SMS] == "no"
    assert answers(world)[ENGLISH_SMS] == "no"  # the offered place given back, as one by one
    assert "Thanks for letting us know you can't come" in texts(world, ENGLISH_SMS)[-1]


def test_one_provider_id_twice_in_a_batch_is_stored_once(container: Container) -> None:
    service = container.inbound
    for n in (1, 2):  # two parents already known, each with nothing waiting
        service.receive(_sms(f"join{n}", "feltham", f"+44770090031{n}"))
    receipts = service.receive_many(
        [_sms("same", "1", "+447700900311"), _sms("same", "1", "+447700900312")]
    )
    assert [r.outcome for r in receipts] == [Outcome.PROCESSED, Outcome.DUPLICATE]
    with transaction(container.sessions) as session:
        rows = session.scalars(select(InboundRow).where(InboundRow.provider_id == "same")).all()
        assert len(rows) == 1
