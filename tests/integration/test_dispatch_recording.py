"""Recording sends: each row gets its own outcome, and results are saved as they come back."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.container import Container
from bot.dispatcher import Dispatcher, DispatchPolicy
from bot.senders import Outcome, SendResult
from storage.db import transaction
from storage.models import ContactIdentity, Outbox
from tests.integration.test_dispatcher import MORNING, _family, _queue, _rows


class AddressedSender:
    """Answers each address with its own result; an address in `held` waits for `release`."""

    channel = "sms"

    def __init__(self, results: dict[str, SendResult], held: set[str] | None = None) -> None:
        self.results = results
        self.held = held or set()
        self.release: asyncio.Event | None = None
        self.calls: list[str] = []

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        self.calls.append(address)
        if address in self.held:
            assert self.release is not None
            await self.release.wait()
        return self.results[address]

    async def close(self) -> None:
        return None


WHOLE_BATCH = DispatchPolicy(rates={"sms": 40})


def _by_address(container: Container) -> dict[str, Outbox]:
    with transaction(container.sessions) as session:
        rows = session.execute(
            select(ContactIdentity.address, Outbox).join(
                ContactIdentity, ContactIdentity.id == Outbox.identity_id
            )
        )
        return {address: row for address, row in rows}


def test_each_row_gets_its_own_outcome_in_a_mixed_batch(container: Container) -> None:
    results = {
        "+447700900501": SendResult(Outcome.SENT, "SM501", "queued", segments=2),
        "+447700900502": SendResult(Outcome.RETRY, error_code="503"),
        "+447700900503": SendResult(Outcome.SENT, "SM503", "accepted", segments=None),
        "+447700900504": SendResult(Outcome.FAILED, error_code="21211", unreachable=True),
        "+447700900505": SendResult(Outcome.SENT, "SM505", None, segments=1),
    }
    for address in results:
        contact, _ = _family(container, address)
        _queue(container, contact, [f"to {address}"])
    # A rate of 40 a second lets one claim take all five (a claim is a quarter second's worth).
    dispatcher = Dispatcher(container.sessions, {"sms": AddressedSender(results)}, WHOLE_BATCH)
    assert asyncio.run(dispatcher.run_once(MORNING)) == 5
    rows = _by_address(container)
    seen = {
        address: (r.status, r.provider_message_id, r.delivery_status, r.segments, r.error_code)
        for address, r in rows.items()
    }
    assert seen == {
        "+447700900501": ("sent", "SM501", "queued", 2, None),
        "+447700900502": ("queued", None, None, None, "503"),
        "+447700900503": ("sent", "SM503", "accepted", None, None),
        "+447700900504": ("failed", None, None, None, "21211"),
        "+447700900505": ("sent", "SM505", None, 1, None),
    }
    assert all(r.lease_until is None for r in rows.values())
    assert {r.sent_at for a, r in rows.items() if r.status == "sent"} == {MORNING}


def test_a_batch_with_no_segment_counts_is_recorded(container: Container) -> None:
    """Every value of a column NULL: PostgreSQL must still learn the column's type."""
    results = {f"+4477009006{n:02d}": SendResult(Outcome.SENT, None, None) for n in range(3)}
    for address in results:
        contact, _ = _family(container, address)
        _queue(container, contact, ["hello"])
    asyncio.run(
        Dispatcher(container.sessions, {"sms": AddressedSender(results)}, WHOLE_BATCH).run_once(
            MORNING
        )
    )
    assert [(r.status, r.segments) for r in _rows(container)] == [("sent", None)] * 3


def test_a_slow_send_does_not_hold_back_recording_the_others(container: Container) -> None:
    """A worker killed during one slow request would only send that one again."""
    slow = "+447700900700"
    results = {f"+4477009007{n:02d}": SendResult(Outcome.SENT, f"SM7{n:02d}") for n in range(6)}
    for address in results:
        contact, _ = _family(container, address)
        _queue(container, contact, ["hello"])
    sender = AddressedSender(results, held={slow})
    policy = DispatchPolicy(concurrency=4, rates={"sms": 40})
    dispatcher = Dispatcher(container.sessions, {"sms": sender}, policy)

    async def go() -> dict[str, str]:
        sender.release = asyncio.Event()
        batch = asyncio.create_task(dispatcher.run_once(MORNING))
        statuses: dict[str, str] = {}
        for _ in range(500):  # until the five quick ones are saved (or the batch ends)
            await asyncio.sleep(0.01)
            rows = await asyncio.to_thread(_by_address, container)
            statuses = {address: row.status for address, row in rows.items()}
            if list(statuses.values()).count("sent") == 5 or batch.done():
                break
        sender.release.set()
        await batch
        return statuses

    while_held = asyncio.run(go())
    assert while_held[slow] == "sending"
    assert all(status == "sent" for address, status in while_held.items() if address != slow)
    assert {row.status for row in _rows(container)} == {"sent"}
