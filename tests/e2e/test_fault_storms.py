"""Faults, part two: a 429 storm from Telegram and a 5xx storm from Twilio.

A real `python -m bot worker` sends a consultation through the fake servers while they
refuse. Every message is delivered or, when its route stays down, failed with a plain
reason after a bounded number of attempts; retries wait as long as the provider asked
(Telegram) or back off exponentially (Twilio); the per-channel rate holds throughout.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from pathlib import Path

from tests.e2e.fault_world import (
    PER_PARENT,
    arrivals,
    busiest_second,
    fresh_database,
    launch_consultation,
    provider_env,
    scalar,
    seed_parents,
    wait,
)
from tests.e2e.processes import Served
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

RETRY_AFTER = 2
FLOOD = {
    "ok": False,
    "error_code": 429,
    "description": f"Too Many Requests: retry after {RETRY_AFTER}",
    "parameters": {"retry_after": RETRY_AFTER},
}
# The dispatcher counts a retry's wait from the moment it claimed the message, which comes
# before the refused request reached the provider by that send's own duration (well under a
# second, even on a loaded machine): see docs/failures.md, "Known limits".
CLAIM_SLACK = 1.0
# The shared bucket allows `rate` a second plus a burst of `rate`; arrivals at the fake lag
# the bucket by each send's duration (the first batch also waits for getMe), so a late batch
# can land in the next second.
LATE_BATCH = 0.5
UNFINISHED = "SELECT count(*) FROM outbox WHERE status NOT IN ('sent', 'failed')"


def _attempts_by_message(
    calls: list[tuple[str, str, float, int]],
) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """(arrival time, HTTP status) of every request, per (address, text), in order."""
    seen: dict[tuple[str, str], list[tuple[float, int]]] = defaultdict(list)
    for address, body, at, status in sorted(calls, key=lambda c: c[2]):
        seen[(address, body)].append((at, status))
    return seen


def _assert_within_rate(times: list[float], rate: float) -> None:
    """Over the run, at most the rate plus one burst; in any second, at most about two bursts."""
    span, busiest = max(times) - min(times), busiest_second(times)
    shown = f"{len(times)} requests in {span:.1f}s, {busiest} in the busiest second"
    assert len(times) <= rate * (span + CLAIM_SLACK) + rate, shown  # arrivals lag the bucket
    assert busiest <= (2 + LATE_BATCH) * rate, shown


def _assert_in_order(delivered: list[tuple[str, str]]) -> None:
    """Each parent got the introduction before the question, whatever was retried."""
    firsts: dict[str, str] = {}
    for address, body in delivered:
        firsts.setdefault(address, body)
    wrong = sorted({body[:40] for body in firsts.values() if "Hello from" not in body})
    assert not wrong, wrong


def test_a_telegram_429_storm_is_waited_out_and_everything_is_delivered_once(
    tmp_path: Path, fault_db: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    url, parents, rate, storm = fault_db, 40, 20.0, 60
    container = fresh_database(url, tmp_path)
    seed_parents(url, telegram=parents)
    launch_consultation(container, "storm-telegram", "feltham")
    total = parents * PER_PARENT
    fake_telegram.fail_next("sendMessage", storm, 429, FLOOD)
    # Our own backoff is made short, so only honouring retry_after can space the retries.
    env = provider_env(
        url, fake_telegram, fake_twilio, TELEGRAM_RATE=str(rate), OUTBOX_RETRY_SECONDS="0.2"
    )
    worker = Served(tmp_path, env, command="worker")
    # Each 429 holds the whole channel for RETRY_AFTER; when the holds end with the bucket
    # nearly empty, the worker probes with one message at a time, so in the worst case every
    # refusal costs a hold of its own (CI once took over 90 s for the storm).
    patience = storm * (RETRY_AFTER + 1) + 60
    try:
        wait("every message", lambda: scalar(url, UNFINISHED) == 0, patience, worker)
        time.sleep(1.0)  # a stray retry would arrive now
    finally:
        worker.stop()
        container.close()

    calls = fake_telegram.sent_messages(include_failed=True)
    per_message = _attempts_by_message(
        [(str(c.params["chat_id"]), str(c.params["text"]), c.at, c.status) for c in calls]
    )
    counts = arrivals(fake_telegram, fake_twilio)
    assert sum(1 for c in calls if c.status == 429) == storm  # the storm happened
    assert len(counts) == total and max(counts.values()) == 1  # all delivered, none twice
    _assert_in_order([(str(c.params["chat_id"]), str(c.params["text"])) for c in calls if c.ok])
    assert scalar(url, "SELECT count(*) FROM outbox WHERE status = 'sent'") == total
    assert len(calls) == total + storm  # one retry per refusal: no retry storm
    for attempts in per_message.values():
        for (at, status), (next_at, _) in itertools.pairwise(attempts):
            assert status == 429 and next_at - at >= RETRY_AFTER - CLAIM_SLACK  # retry_after
    _assert_within_rate([c.at for c in calls], rate)


def test_a_twilio_5xx_storm_backs_off_and_a_dead_route_fails_with_a_reason(
    tmp_path: Path, fault_db: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    url, parents, rate, storm, attempts, first_wait = fault_db, 30, 10.0, 40, 4, 2.0
    container = fresh_database(url, tmp_path)
    seed_parents(url, telegram=0, sms=parents)
    launch_consultation(container, "storm-sms", "feltham")
    total = parents * PER_PARENT
    dead = ["+447700900000", "+447700900001", "+447700900002"]  # a route that stays down
    for number in dead:
        fake_twilio.fail_to(number, 500)
    fake_twilio.fail_next(storm, 503)  # then a passing outage for everyone
    env = provider_env(
        url,
        fake_telegram,
        fake_twilio,
        TWILIO_MPS=str(rate),
        OUTBOX_MAX_ATTEMPTS=str(attempts),
        OUTBOX_RETRY_SECONDS=str(first_wait),
    )
    worker = Served(tmp_path, env, command="worker")
    try:
        wait("every message", lambda: scalar(url, UNFINISHED) == 0, 90, worker)
        time.sleep(1.0)
    finally:
        worker.stop()
        container.close()

    calls = fake_twilio.sent(include_failed=True)
    per_message = _attempts_by_message(
        [(str(c.to), str(c.params["Body"]), c.at, c.status) for c in calls]
    )
    counts = arrivals(fake_telegram, fake_twilio)
    failed = scalar(url, "SELECT count(*) FROM outbox WHERE status = 'failed'")
    assert failed == len(dead) * PER_PARENT
    assert (
        scalar(
            url,
            "SELECT count(*) FROM outbox WHERE status = 'failed' AND error_code = '20500'"
            " AND error_detail LIKE '%Internal Server Error%' AND attempts = :n",
            n=attempts,
        )
        == failed
    )  # classified: the provider's code and words, after the last allowed attempt
    assert len(counts) == total - failed and max(counts.values()) == 1
    _assert_in_order([(str(c.to), str(c.params["Body"])) for c in calls if c.ok])
    assert scalar(url, "SELECT count(*) FROM outbox WHERE status = 'sent'") == total - failed
    assert len(calls) == scalar(url, "SELECT sum(attempts) FROM outbox")  # no hidden retries
    assert len(calls) <= total + storm + failed * (attempts - 1)  # bounded: no retry storm
    for tries in per_message.values():
        assert len(tries) <= attempts
        for n, ((at, _), (next_at, _)) in enumerate(itertools.pairwise(tries)):
            # Exponential backoff (2, 4, 8 s), with jitter of 20% either way.
            assert next_at - at >= first_wait * 2**n * 0.8 - CLAIM_SLACK
    _assert_within_rate([c.at for c in calls], rate)
