"""The dispatcher's rules with hand-written senders: order, pacing, retries, quiet hours, leases."""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.container import Container
from bot.dispatcher import Dispatcher, DispatchPolicy, in_quiet_hours
from bot.senders import Outcome, SendResult
from conversations.types import Channel, ContactStatus, MessageKind, OutgoingMessage
from storage import contacts, delivery, outbox
from storage.db import transaction
from storage.models import Contact, ContactIdentity, Outbox

MORNING = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 10:00 in London (GMT)


class ScriptedSender:
    """Records every send; answers from a script, then succeeds."""

    def __init__(self, channel: str, script: list[SendResult] | None = None) -> None:
        self.channel = channel
        self.script: deque[SendResult] = deque(script or [])
        self.sent: list[tuple[str, str]] = []
        self.calls = 0

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        self.calls += 1
        provider_id = f"{self.channel}-{id(self)}-{self.calls}"
        result = self.script.popleft() if self.script else SendResult(Outcome.SENT, provider_id)
        if result.outcome is Outcome.SENT:
            self.sent.append((address, str(payload.get("text"))))
        return result

    async def close(self) -> None:
        return None


def _family(container: Container, address: str, status: str = "active") -> tuple[int, int]:
    with transaction(container.sessions) as session:
        identity = contacts.find_or_create(session, Channel.SMS, address, "feltham", MORNING)
        session.get_one(Contact, identity.contact_id).status = status
        return identity.contact_id, identity.id


def _queue(
    container: Container,
    contact_id: int,
    texts: list[str],
    kind: MessageKind = MessageKind.REPLY,
    at: datetime = MORNING,
) -> None:
    with transaction(container.sessions) as session:
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == contact_id)
        ).one()
        for text in texts:
            outbox.enqueue(
                session, contact_id, identity, OutgoingMessage(text, ("en",), kind=kind), at
            )


def _dispatcher(container: Container, sender: ScriptedSender, **policy: Any) -> Dispatcher:
    return Dispatcher(container.sessions, {sender.channel: sender}, DispatchPolicy(**policy))


def _rows(container: Container) -> list[Outbox]:
    with transaction(container.sessions) as session:
        return list(session.scalars(select(Outbox).order_by(Outbox.id)))


def test_a_chats_messages_go_in_order_a_second_apart(container: Container) -> None:
    contact, _ = _family(container, "+447700900301")
    _queue(container, contact, ["first", "second", "third"])
    sender = ScriptedSender("sms")
    dispatcher = _dispatcher(container, sender)
    assert asyncio.run(dispatcher.run_once(MORNING)) == 1
    assert asyncio.run(dispatcher.run_once(MORNING)) == 0  # the same chat waits a second
    asyncio.run(dispatcher.run_once(MORNING + timedelta(seconds=1)))
    asyncio.run(dispatcher.run_once(MORNING + timedelta(seconds=2)))
    assert [text for _, text in sender.sent] == ["first", "second", "third"]
    assert {row.status for row in _rows(container)} == {"sent"}


def test_a_429_is_retried_after_retry_after_and_delivered_once(container: Container) -> None:
    contact, _ = _family(container, "+447700900302")
    _queue(container, contact, ["hello"])
    sender = ScriptedSender("sms", [SendResult(Outcome.RETRY, retry_after=3, error_code="429")])
    dispatcher = _dispatcher(container, sender)
    asyncio.run(dispatcher.run_once(MORNING))
    (row,) = _rows(container)
    assert row.status == "queued"
    assert MORNING + timedelta(seconds=3) <= row.not_before <= MORNING + timedelta(seconds=4)
    assert asyncio.run(dispatcher.run_once(MORNING + timedelta(seconds=2))) == 0
    asyncio.run(dispatcher.run_once(MORNING + timedelta(seconds=5)))
    assert sender.sent == [("+447700900302", "hello")]
    assert _rows(container)[0].status == "sent"


def test_a_429_holds_the_whole_channel_for_every_worker_until_retry_after(
    container: Container,
) -> None:
    first, _ = _family(container, "+447700900306")
    second, _ = _family(container, "+447700900307")
    _queue(container, first, ["refused"])
    refused = SendResult(Outcome.RETRY, retry_after=3, error_code="429")
    one = ScriptedSender("sms", [refused])
    asyncio.run(_dispatcher(container, one).run_once(MORNING))
    _queue(container, second, ["waits"], at=MORNING + timedelta(seconds=1))
    other = ScriptedSender("sms")
    other_worker = _dispatcher(container, other)
    assert asyncio.run(other_worker.run_once(MORNING + timedelta(seconds=2))) == 0
    assert other.calls == 0  # nobody sends on the channel during retry_after
    asyncio.run(other_worker.run_once(MORNING + timedelta(seconds=4)))
    assert sorted(text for _, text in other.sent) == ["refused", "waits"]


class SlowRefusal(ScriptedSender):
    """Answers "retry after 3 s", but only after taking `delay` seconds to answer."""

    def __init__(self, delay: float) -> None:
        super().__init__("sms", [SendResult(Outcome.RETRY, retry_after=3, error_code="429")])
        self.delay = delay

    async def send(self, address: str, payload: dict[str, Any]) -> SendResult:
        await asyncio.sleep(self.delay)
        return await super().send(address, payload)


def test_retry_after_counts_from_when_the_answer_came_back(container: Container) -> None:
    contact, _ = _family(container, "+447700900308")
    _queue(container, contact, ["hello"])
    asyncio.run(_dispatcher(container, SlowRefusal(delay=1.5)).run_once(MORNING))
    (row,) = _rows(container)
    assert row.not_before >= MORNING + timedelta(seconds=4.5)  # 1.5 s to answer, then 3 s


def test_retries_back_off_and_give_up_after_the_last_attempt(container: Container) -> None:
    contact, _ = _family(container, "+447700900303")
    _queue(container, contact, ["hello"])
    storm = [SendResult(Outcome.RETRY, error_code="503")] * 10
    sender = ScriptedSender("sms", storm)
    dispatcher = _dispatcher(container, sender, max_attempts=4)
    now = MORNING
    waits = []
    for _ in range(10):
        asyncio.run(dispatcher.run_once(now))
        row = _rows(container)[0]
        if row.status == "failed":
            break
        waits.append((row.not_before - now).total_seconds())
        now = row.not_before
    assert sender.calls == 4
    assert _rows(container)[0].status == "failed"
    assert _rows(container)[0].error_code == "503"
    assert waits == sorted(waits) and waits[0] < waits[-1]  # exponential, not a retry storm


def test_a_message_waiting_to_be_retried_is_not_overtaken_by_the_next_one(
    container: Container,
) -> None:
    contact, _ = _family(container, "+447700900305")
    _queue(container, contact, ["intro", "question"])
    sender = ScriptedSender("sms", [SendResult(Outcome.RETRY, error_code="503")])
    dispatcher = _dispatcher(container, sender)
    asyncio.run(dispatcher.run_once(MORNING))  # the intro meets a 503 and waits to retry
    retry_at = _rows(container)[0].not_before
    assert asyncio.run(dispatcher.run_once(retry_at - timedelta(seconds=1))) == 0
    asyncio.run(dispatcher.run_once(retry_at))
    asyncio.run(dispatcher.run_once(retry_at + timedelta(seconds=1)))
    assert [text for _, text in sender.sent] == ["intro", "question"]


def test_a_blocked_telegram_chat_is_marked_unreachable_and_never_tried_again(
    container: Container,
) -> None:
    contact, identity_id = _family(container, "+447700900304")
    _queue(container, contact, ["one", "two"])
    blocked = SendResult(Outcome.FAILED, error_code="403", unreachable=True)
    sender = ScriptedSender("sms", [blocked])
    dispatcher = _dispatcher(container, sender)
    asyncio.run(dispatcher.drain(MORNING))
    asyncio.run(dispatcher.drain(MORNING + timedelta(seconds=5)))
    assert sender.calls == 1
    assert [r.status for r in _rows(container)] == ["failed", "failed"]
    with transaction(container.sessions) as session:
        identity = session.get_one(ContactIdentity, identity_id)
        assert (identity.reachable, identity.unreachable_reason) == (False, "403")


def test_twilio_21610_opts_the_parent_out(container: Container) -> None:
    contact, _ = _family(container, "+447700900305")
    _queue(container, contact, ["hello"])
    sender = ScriptedSender("sms", [SendResult(Outcome.FAILED, error_code="21610", opted_out=True)])
    asyncio.run(_dispatcher(container, sender).run_once(MORNING))
    with transaction(container.sessions) as session:
        assert session.get_one(Contact, contact).status == ContactStatus.OPTED_OUT.value


def test_proactive_messages_wait_out_quiet_hours_but_replies_do_not(container: Container) -> None:
    evening = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)
    tip_family, _ = _family(container, "+447700900306")
    chat_family, _ = _family(container, "+447700900307")
    _queue(container, tip_family, ["tip"], MessageKind.PROACTIVE, at=evening)
    _queue(container, chat_family, ["reply"], MessageKind.REPLY, at=evening)
    sender = ScriptedSender("sms")
    dispatcher = _dispatcher(container, sender)
    asyncio.run(dispatcher.drain(evening))
    asyncio.run(dispatcher.drain(datetime(2026, 3, 11, 7, 59, tzinfo=UTC)))
    assert [text for _, text in sender.sent] == ["reply"]
    asyncio.run(dispatcher.drain(datetime(2026, 3, 11, 8, 0, tzinfo=UTC)))
    assert [text for _, text in sender.sent] == ["reply", "tip"]


def test_quiet_hours_follow_london_time_across_the_clock_change() -> None:
    window = (datetime(2026, 1, 1, 20).time(), datetime(2026, 1, 1, 8).time())
    summer_evening = datetime(2026, 7, 1, 19, 30, tzinfo=UTC)  # 20:30 BST
    winter_evening = datetime(2026, 1, 15, 19, 30, tzinfo=UTC)  # 19:30 GMT
    assert in_quiet_hours(summer_evening, window, "Europe/London")
    assert not in_quiet_hours(winter_evening, window, "Europe/London")


def test_nothing_proactive_reaches_an_opted_out_parent(container: Container) -> None:
    contact, _ = _family(container, "+447700900308", status=ContactStatus.OPTED_OUT.value)
    _queue(container, contact, ["tip"], MessageKind.PROACTIVE)
    _queue(container, contact, ["You've unsubscribed"], MessageKind.REPLY)
    sender = ScriptedSender("sms")
    dispatcher = _dispatcher(container, sender)
    for second in range(3):
        asyncio.run(dispatcher.drain(MORNING + timedelta(seconds=second)))
    assert [text for _, text in sender.sent] == ["You've unsubscribed"]
    assert [r.status for r in _rows(container)] == ["cancelled", "sent"]


def test_a_crashed_workers_messages_are_sent_after_its_lease(container: Container) -> None:
    contact, _ = _family(container, "+447700900309")
    _queue(container, contact, ["hello"])
    with transaction(container.sessions) as session:  # a worker claims, then dies
        (claimed,) = delivery.claim_due(session, MORNING, timedelta(seconds=60), 10, ["sms"])
        assert claimed.address == "+447700900309"
    assert _rows(container)[0].status == "sending"
    sender = ScriptedSender("sms")
    dispatcher = _dispatcher(container, sender)
    assert asyncio.run(dispatcher.run_once(MORNING + timedelta(seconds=30))) == 0
    assert asyncio.run(dispatcher.run_once(MORNING + timedelta(seconds=61))) == 1
    assert sender.sent == [("+447700900309", "hello")]
    row = _rows(container)[0]
    assert (row.status, row.attempts) == ("sent", 2)


def test_the_rate_limit_is_shared_by_all_workers(container: Container) -> None:
    for n in range(40):
        contact, _ = _family(container, f"+4477009004{n:02d}")
        _queue(container, contact, [f"m{n}"], MessageKind.PROACTIVE)
    first, second = ScriptedSender("sms"), ScriptedSender("sms")
    one = _dispatcher(container, first, rates={"sms": 10})
    two = _dispatcher(container, second, rates={"sms": 10})
    for _ in range(6):  # each claim takes a quarter second's worth; both drain one bucket
        asyncio.run(one.run_once(MORNING))
        asyncio.run(two.run_once(MORNING))
    assert len(first.sent) + len(second.sent) == 10  # one bucket, however many workers
    for _ in range(6):
        asyncio.run(two.run_once(MORNING + timedelta(seconds=1)))
    assert len(first.sent) + len(second.sent) == 20
    assert len({text for _, text in first.sent + second.sent}) == 20  # nothing twice


def test_delivery_status_never_moves_backwards(container: Container) -> None:
    contact, _ = _family(container, "+447700900310")
    _queue(container, contact, ["hello"])
    sender = ScriptedSender("sms", [SendResult(Outcome.SENT, "SM123", delivery_status="queued")])
    asyncio.run(_dispatcher(container, sender).run_once(MORNING))
    with transaction(container.sessions) as session:
        assert delivery.record_status(session, "SM123", "delivered", None, MORNING)
        assert not delivery.record_status(session, "SM123", "sent", None, MORNING)
        assert not delivery.record_status(session, "SM123", "delivered", None, MORNING)
        assert not delivery.record_status(session, "SM-unknown", "delivered", None, MORNING)
    assert _rows(container)[0].delivery_status == "delivered"


def test_a_tip_held_by_quiet_hours_never_delays_a_reply_to_the_same_parent(
    container: Container,
) -> None:
    evening = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)
    contact, _ = _family(container, "+447700900311")
    _queue(container, contact, ["tip"], MessageKind.PROACTIVE, at=evening)
    _queue(container, contact, ["reply"], MessageKind.REPLY, at=evening + timedelta(minutes=5))
    sender = ScriptedSender("sms")
    asyncio.run(_dispatcher(container, sender).drain(evening + timedelta(minutes=5)))
    assert [text for _, text in sender.sent] == ["reply"]
