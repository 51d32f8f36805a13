"""The outbox dispatcher: claim due rows, send them with the real clients, record what happened.

Sending is at-least-once: a worker that dies after the provider accepted a message but before
recording it leaves the row leased; when the lease runs out another worker sends it again.
Each result is recorded as it returns, with whatever others returned meanwhile (one short
transaction, set-based), so the window is the requests in flight plus one recording, not a
whole claimed batch.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.inbound import utcnow
from bot.senders import Outcome, Sender, SendResult
from conversations.types import ContactStatus, MessageKind
from storage import delivery, erasure
from storage.db import transaction
from storage.delivery_record import Accepted, record_sent
from storage.models import Contact, ContactIdentity, Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchPolicy:
    quiet_hours: tuple[time, time] = (time(20), time(8))
    timezone: str = "Europe/London"
    lease: timedelta = timedelta(seconds=60)
    # Rows claimed per channel a round, at most: a quarter second of the rate caps it first at
    # ordinary rates. Each claim costs round trips and a scan of what is due, so at a
    # paid-broadcast 1,000/s fewer, bigger claims keep a worker sending (RESULTS.md, section 2).
    batch: int = 500
    max_attempts: int = 6
    base_backoff: float = 5.0
    max_backoff: float = 600.0
    rates: Mapping[str, float] | None = None  # messages per second per channel, all workers
    # Requests in flight at once per channel and worker. Past a few, a zero-latency server gains
    # nothing (the client's CPU is the limit, benchmarks/RESULTS.md section 2); the Bot API takes
    # 50-100 ms, so this many keeps a worker well above Telegram's 30 messages a second.
    concurrency: int = 16

    def rate(self, channel: str) -> float:
        defaults = {"telegram": 30.0, "sms": 10.0}
        return (self.rates or {}).get(channel, defaults.get(channel, 10.0))


def in_quiet_hours(now: datetime, window: tuple[time, time], timezone: str) -> bool:
    local = now.astimezone(ZoneInfo(timezone)).time()
    start, end = window
    return start <= local or local < end if start > end else start <= local < end


def backoff(attempt: int, policy: DispatchPolicy, retry_after: float | None) -> float:
    """Seconds to wait: what the provider asked for, else exponential with jitter."""
    if retry_after is not None:
        return retry_after + random.uniform(0, 1)  # noqa: S311
    delay = min(policy.max_backoff, policy.base_backoff * 2.0 ** max(0, attempt - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311


@dataclass(frozen=True, slots=True)
class Job:
    outbox_id: int
    channel: str
    address: str
    payload: dict[str, object]
    attempts: int
    contact_id: int | None = None
    then_erase: bool = False  # DELETE's goodbye: the contact goes once this is out


class Dispatcher:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[str, Sender],
        policy: DispatchPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions = sessions
        self.senders = dict(senders)
        self.policy = policy or DispatchPolicy()
        self.clock = clock

    async def run_once(self, now: datetime | None = None) -> int:
        """Claim and send one batch per channel; returns how many rows it took (sent or not)."""
        if not self.senders:
            return 0
        now = now or self.clock()
        jobs, claimed = await asyncio.to_thread(self._claim, now)
        if jobs:
            await self._send_and_record(jobs, now)
        return claimed

    async def _send_and_record(self, jobs: list[Job], now: datetime) -> None:
        """Send with bounded concurrency; record results in groups as they come back."""
        # Slots per channel: SMS must not queue behind a batch of Telegram sends, or its
        # sends bunch up after their tokens were taken and overshoot the rate.
        size = max(1, self.policy.concurrency)
        slots = {channel: asyncio.Semaphore(size) for channel in self.senders}
        returned: list[tuple[Job, SendResult]] = []
        arrived = asyncio.Event()

        async def send(job: Job) -> None:
            async with slots[job.channel]:
                result = await self._send(job)
            returned.append((job, result))
            arrived.set()

        started = monotonic()
        tasks = [asyncio.create_task(send(job)) for job in jobs]
        try:
            recorded = 0
            while recorded < len(jobs):
                await arrived.wait()
                arrived.clear()
                group = returned[:]
                del returned[:]
                if group:
                    # A retry waits from when its answer came back, not from the claim.
                    answered = now + timedelta(seconds=monotonic() - started)
                    await asyncio.to_thread(self._record, group, now, answered)
                    recorded += len(group)
        finally:
            # A failed recording leaves rows leased (sent again later); let the sends finish.
            await asyncio.gather(*tasks, return_exceptions=True)

    async def drain(self, now: datetime | None = None, max_rounds: int = 1000) -> int:
        """Send everything due as of `now` (for `dispatch --once` and tests)."""
        total = 0
        for _ in range(max_rounds):
            sent = await self.run_once(now)
            if sent == 0:
                break
            total += sent
        return total

    async def close(self) -> None:
        for sender in self.senders.values():
            await sender.close()

    async def _send(self, job: Job) -> SendResult:
        try:
            return await self.senders[job.channel].send(job.address, dict(job.payload))
        except Exception as error:  # retried like an outage: a passing fault must lose nothing
            log.exception("sending outbox row %s failed unexpectedly", job.outbox_id)
            return SendResult(Outcome.RETRY, error_code="bug", error_detail=type(error).__name__)

    def _anything_due(self) -> bool:
        with transaction(self.sessions) as session:
            return delivery.anything_due(session, self.clock(), list(self.senders))

    def _claim(self, now: datetime) -> tuple[list[Job], int]:
        quiet = in_quiet_hours(now, self.policy.quiet_hours, self.policy.timezone)
        jobs: list[Job] = []
        unsendable: list[tuple[int, str, str]] = []
        claimed = 0
        with transaction(self.sessions) as session:
            delivery.expire_stale(session, now)
            for channel in self.senders:
                rate = self.policy.rate(channel)
                # A quarter second's worth a claim at most: a claim's sends go out over the time
                # they take, so a bigger claim bunches them past rate + burst in a second.
                want = min(self.policy.batch, max(1, math.ceil(rate / 4)))
                tokens = delivery.take_tokens(session, channel, want, rate, rate, now)
                allowed = math.floor(tokens)
                rows = (
                    delivery.claim_due(
                        session, now, self.policy.lease, allowed, [channel], replies_only=quiet
                    )
                    if allowed
                    else []
                )
                claimed += len(rows)
                for claim in rows:
                    job_or_reason = _job_for(claim)
                    if isinstance(job_or_reason, Job):
                        jobs.append(job_or_reason)
                    else:
                        unsendable.append((claim.id, *job_or_reason))
                delivery.give_back_tokens(session, channel, tokens - len(rows))
            delivery.finish_unsent(session, unsendable, now)
        return jobs, claimed

    def _record(
        self, outcomes: list[tuple[Job, SendResult]], now: datetime, answered: datetime
    ) -> None:
        """Results as of the round's `now`; retries wait from `answered`, when they came back."""
        accepted = [
            Accepted(job.outbox_id, r.provider_message_id, r.delivery_status, r.segments)
            for job, r in outcomes
            if r.outcome is Outcome.SENT
        ]
        with transaction(self.sessions) as session:
            record_sent(session, accepted, now)
            for job, result in outcomes:  # the rare rest: retries and failures, row by row
                if result.outcome is not Outcome.SENT:
                    row = session.get(Outbox, job.outbox_id)
                    if row is not None:
                        self._apply(session, row, result, now, answered)
            self._hold_refused_channels(session, outcomes, answered)
            goodbyes = [j.contact_id for j, _ in outcomes if j.then_erase and j.contact_id]
            if goodbyes:  # DELETE's goodbye is out: the contact and its identity go now
                session.flush()
                erasure.finish(session, now, goodbyes)

    def _hold_refused_channels(
        self, session: Session, outcomes: list[tuple[Job, SendResult]], now: datetime
    ) -> None:
        """A provider that says "retry after N s" pauses its whole channel, for every worker."""
        waits: dict[str, float] = {}
        for job, result in outcomes:
            if result.outcome is Outcome.RETRY and result.retry_after:
                waits[job.channel] = max(waits.get(job.channel, 0.0), result.retry_after)
        for channel, seconds in waits.items():
            delivery.hold_channel(session, channel, seconds, self.policy.rate(channel), now)

    def _apply(
        self, session: Session, row: Outbox, result: SendResult, now: datetime, answered: datetime
    ) -> None:
        """A send that did not go: retry later, or give up (and note what that says)."""
        row.lease_until = None
        row.error_code, row.error_detail = result.error_code, result.error_detail
        if result.outcome is Outcome.RETRY and row.attempts < self.policy.max_attempts:
            wait = backoff(row.attempts, self.policy, result.retry_after)
            row.status, row.not_before = "queued", answered + timedelta(seconds=wait)
            row.updated_at = now
            log.info("outbox row %s: retry in %.0fs (%s)", row.id, wait, result.error_code)
            return
        _finish(row, "failed", now, error_code=result.error_code)
        log.warning("outbox row %s failed permanently (%s)", row.id, result.error_code)
        identity = session.get(ContactIdentity, row.identity_id) if row.identity_id else None
        if result.unreachable and identity is not None:
            identity.reachable, identity.unreachable_reason = False, result.error_code
        if result.opted_out and row.contact_id is not None:
            contact = session.get(Contact, row.contact_id)
            if contact is not None:
                contact.status = ContactStatus.OPTED_OUT.value
                contact.opted_out_at = now


def _job_for(claim: delivery.Claim) -> Job | tuple[str, str]:
    """The job to run, or (status, error code) when the row must not be sent at all."""
    if claim.address is None or not claim.reachable:
        return "failed", "unreachable"
    if claim.kind == MessageKind.PROACTIVE.value and (
        claim.contact_status != ContactStatus.ACTIVE.value
    ):
        return "cancelled", claim.contact_status or "erased"
    return Job(
        claim.id,
        claim.channel,
        claim.address,
        dict(claim.message),
        claim.attempts,
        claim.contact_id,
        bool(claim.message.get(erasure.THEN_ERASE)),
    )


def _finish(row: Outbox, status: str, now: datetime, error_code: str | None = None) -> None:
    row.status, row.lease_until, row.updated_at = status, None, now
    if error_code is not None:
        row.error_code = error_code
