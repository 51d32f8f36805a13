"""Group commit's batching of concurrent webhooks, against a hand-written fake service."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from bot.group_commit import GroupCommit
from bot.inbound import DatabaseUnavailable, Outcome, Receipt
from conversations.types import Channel, InboundMessage
from tests.conftest import FIXED_NOW


def _message(number: int) -> InboundMessage:
    return InboundMessage(Channel.SMS, f"+4477009{number % 1000:05d}", f"SM{number}", FIXED_NOW)


def _number(message: InboundMessage) -> int:
    return int(message.provider_id[2:])


@dataclass
class FakeService:
    """Answers each message with a receipt naming it; counts and optionally breaks things."""

    hold: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    batches: list[list[int]] = field(default_factory=list)
    alone: list[int] = field(default_factory=list)
    failing_batches: bool = False
    bad: set[int] = field(default_factory=set)  # messages whose own receive fails
    running: int = 0
    most_running: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_event_loop: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.hold.set()

    def _enter(self) -> None:
        try:
            asyncio.get_running_loop()
            self.on_event_loop.append(True)
        except RuntimeError:
            self.on_event_loop.append(False)
        with self.lock:
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        self.held.set()
        self.hold.wait()

    def _leave(self) -> None:
        with self.lock:
            self.running -= 1

    def receive(self, message: InboundMessage, simulated: bool = False) -> Receipt:
        self._enter()
        try:
            self.alone.append(_number(message))
            if _number(message) in self.bad:
                raise DatabaseUnavailable("gone")
            return Receipt(Outcome.PROCESSED, _number(message))
        finally:
            self._leave()

    def receive_many(self, messages: list[InboundMessage]) -> list[Receipt]:
        self._enter()
        try:
            self.batches.append([_number(message) for message in messages])
            if self.failing_batches:
                raise RuntimeError("a bug somewhere in the batch")
            return [Receipt(Outcome.PROCESSED, _number(message)) for message in messages]
        finally:
            self._leave()


async def _outcome(group: GroupCommit, number: int) -> object:
    try:
        return (await group.receive(_message(number))).contact_id
    except Exception as error:
        return error


async def _send_all(group: GroupCommit, numbers: list[int]) -> dict[int, object]:
    """Each number's message from its own webhook, all at once; what each one got back."""
    answers = await asyncio.wait_for(
        asyncio.gather(*(_outcome(group, number) for number in numbers)), timeout=30
    )
    return dict(zip(numbers, answers, strict=True))


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.001)


def _queue_behind_a_held_message(
    group: GroupCommit, service: FakeService, numbers: list[int]
) -> dict[int, object]:
    """Message 0 is received (and held); `numbers` arrive meanwhile, in order; then release."""

    async def scene() -> dict[int, object]:
        service.hold.clear()
        first = asyncio.create_task(_outcome(group, 0))
        await _until(service.held.is_set)
        others = asyncio.create_task(_send_all(group, numbers))
        await _until(lambda: group.queued == len(numbers))
        service.hold.set()
        assert await asyncio.wait_for(first, timeout=30) == 0
        return await others

    return asyncio.run(scene())


def test_a_message_alone_is_received_on_its_own() -> None:
    service = FakeService()
    group = GroupCommit(service)
    assert asyncio.run(_outcome(group, 7)) == 7
    assert (service.alone, service.batches) == ([7], [])


def test_messages_arriving_while_one_is_received_are_received_together_next() -> None:
    service = FakeService()
    group = GroupCommit(service, most=32)
    got = _queue_behind_a_held_message(group, service, list(range(1, 11)))
    assert got == {number: number for number in range(1, 11)}
    assert service.batches == [list(range(1, 11))]  # one transaction, in arrival order
    assert service.on_event_loop == [False, False]  # the database is waited on in a thread


def test_a_batch_holds_at_most_most_and_the_rest_follow() -> None:
    service = FakeService()
    group = GroupCommit(service, most=4)
    got = _queue_behind_a_held_message(group, service, list(range(1, 11)))
    assert got == {number: number for number in range(1, 11)}
    assert service.batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]
    assert service.alone == [0]


def test_a_failed_batch_is_received_again_one_message_at_a_time() -> None:
    service = FakeService(bad={3})
    group = GroupCommit(service)
    service.failing_batches = True
    got = _queue_behind_a_held_message(group, service, [1, 2, 3, 4])
    assert service.batches == [[1, 2, 3, 4]]
    assert service.alone == [0, 1, 2, 3, 4]
    assert isinstance(got.pop(3), DatabaseUnavailable)  # its own webhook answers 503
    assert got == {1: 1, 2: 2, 4: 4}


def test_when_every_attempt_fails_every_webhook_hears_so() -> None:
    service = FakeService(bad={1, 2, 3})
    service.failing_batches = True
    group = GroupCommit(service)
    got = _queue_behind_a_held_message(group, service, [1, 2, 3])
    assert all(isinstance(answer, DatabaseUnavailable) for answer in got.values())
    assert asyncio.run(_outcome(group, 5)) == 5  # and the next is received as usual


@pytest.mark.parametrize("batches", [1, 3])
def test_under_a_storm_every_webhook_gets_its_own_receipt(batches: int) -> None:
    rng = random.Random(batches)

    class Jittery(FakeService):
        def _enter(self) -> None:
            super()._enter()
            time.sleep(rng.random() / 200)  # a transaction's few milliseconds

    service = Jittery()
    group = GroupCommit(service, most=8, batches=batches)
    got = asyncio.run(_send_all(group, list(range(1, 301))))
    assert got == {number: number for number in range(1, 301)}
    received = service.alone + [number for batch in service.batches for number in batch]
    assert sorted(received) == list(range(1, 301))  # each exactly once
    assert max(len(batch) for batch in service.batches) <= 8
    assert service.most_running <= batches
    assert group.queued == 0


def test_a_webhook_that_goes_away_mid_batch_stops_nothing() -> None:
    service = FakeService()
    group = GroupCommit(service)

    async def scene() -> None:
        service.hold.clear()
        first = asyncio.create_task(_outcome(group, 0))
        await _until(service.held.is_set)
        gone = asyncio.create_task(_outcome(group, 1))
        stays = asyncio.create_task(_outcome(group, 2))
        await _until(lambda: group.queued == 2)
        gone.cancel()  # the provider hung up
        service.hold.set()
        assert await asyncio.wait_for(first, timeout=30) == 0
        assert await asyncio.wait_for(stays, timeout=30) == 2
        assert await asyncio.wait_for(_outcome(group, 3), timeout=30) == 3

    asyncio.run(scene())
    assert service.batches == [[1, 2]]  # its message was received all the same
    assert service.alone == [0, 3]


def test_a_batch_cancelled_at_shutdown_leaves_no_webhook_waiting() -> None:
    service = FakeService()
    group = GroupCommit(service)

    async def scene() -> list[bool]:
        service.hold.clear()
        webhooks = [asyncio.create_task(group.receive(_message(n))) for n in (1, 2)]
        await _until(service.held.is_set)  # the batch is being received, in its thread
        for task in list(group._tasks):
            task.cancel()  # the server shutting down
        done, _ = await asyncio.wait(webhooks, timeout=10)
        service.hold.set()
        return [task.cancelled() for task in webhooks if task in done]

    assert asyncio.run(scene()) == [True, True]
