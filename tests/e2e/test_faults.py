"""Faults, part one: kill -9 of the web, the worker and the clock in the middle of their work.

Real `python -m bot web|worker|clock` processes against the fake Telegram and Twilio servers
and PostgreSQL. Each test counts messages and answers before and after the kill: nothing is
lost, and nothing is doubled beyond the documented at-least-once window (docs/failures.md).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, create_engine, text

from tests.e2e.fault_world import (
    FIRST_CHAT,
    PER_PARENT,
    WEBHOOK_SECRET,
    arrivals,
    fresh_database,
    launch_consultation,
    provider_env,
    scalar,
    seed_parents,
    wait,
)
from tests.e2e.processes import Served, free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

SENT = "SELECT count(*) FROM outbox WHERE status = 'sent'"


def _post_in_background(url: str, update: dict[str, object]) -> threading.Thread:
    """Telegram delivering an update; the answer (if any) is not awaited by the test."""

    def post() -> None:
        # The web process dies under it (a TransportError): Telegram would retry.
        with contextlib.suppress(httpx.TransportError):
            httpx.post(
                url,
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
                timeout=30,
            )

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def _wait_answered(url: str, answers: int, *processes: Served) -> None:
    """Until `answers` answers are stored and every reply sent, and a moment more."""
    wait(
        f"{answers} answer(s) to be processed and answered",
        lambda: (
            scalar(url, "SELECT count(*) FROM consultation_answers") == answers
            and scalar(url, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
        ),
        30,
        *processes,
    )
    time.sleep(1.5)  # a doubled processing would queue and send its reply now


class Holder:
    """The test holding the lock the web process will wait on, so it can be killed there.

    "before-store": the web waits to store the update (PostgreSQL: the parent's row FOR
    UPDATE blocks the sender's lock; SQLite: the one write lock). "mid-processing": the update
    is stored, in the transaction that processes it, and the web waits to move the parent's
    conversation (the test holds that row; PostgreSQL only). Either way nothing is committed
    until the update is processed, so a kill leaves nothing behind but the provider's retry.
    """

    def __init__(self, url: str, stage: str) -> None:
        self.url, self.stage = url, stage
        self.engine = create_engine(url)
        self.sqlite: sqlite3.Connection | None = None
        self.connection: Connection | None = None

    def hold(self) -> None:
        if self.url.startswith("sqlite"):
            self.sqlite = sqlite3.connect(self.url.removeprefix("sqlite:///"), isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")
            return
        self.connection = self.engine.connect()
        if self.stage == "before-store":
            self.connection.execute(text("SELECT id FROM contacts WHERE id = 1 FOR UPDATE"))
        else:
            held = "SELECT contact_id FROM conversation_states WHERE contact_id = 1 FOR UPDATE"
            self.connection.execute(text(held))

    def web_is_waiting(self) -> bool:
        if self.sqlite is not None:
            time.sleep(2.0)  # no way to see a SQLite waiter; if not yet waiting, not stored either
            return True
        waiting = scalar(
            self.url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'",
        )
        return waiting > 0

    def release(self) -> None:
        if self.sqlite is not None:
            self.sqlite.rollback()
            self.sqlite.close()
            self.sqlite = None
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        self.engine.dispose()


@pytest.mark.parametrize("stage", ["before-store", "mid-processing"])
def test_kill_web_mid_request_then_the_retried_update_is_processed_once(
    tmp_path: Path,
    fault_db: str,
    stage: str,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> None:
    url = fault_db
    if stage == "mid-processing" and url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: a moment inside processing cannot be held")
    container = fresh_database(url, tmp_path)
    seed_parents(url, telegram=1)
    launch_consultation(container, "fault-web", "feltham")
    chat = str(FIRST_CHAT + 1)
    env = provider_env(
        url,
        fake_telegram,
        fake_twilio,
        PUBLIC_BASE_URL="http://127.0.0.1",
        INBOUND_SWEEP_SECONDS="1",
    )
    port = free_port()
    processes = [Served(tmp_path, env, command="worker"), Served(tmp_path, env, "web", port)]
    worker, web = processes
    update = {"update_id": 424242, "message": FakeTelegram.text_message(int(chat), "Yes")}
    hook = f"http://127.0.0.1:{port}/webhooks/telegram"
    holder = Holder(url, stage)
    try:
        web.wait_healthy()
        wait(
            "the question", lambda: len(fake_telegram.sent_messages(chat)) == PER_PARENT, 30, worker
        )
        before = len(fake_telegram.sent_messages(chat))
        holder.hold()
        poster = _post_in_background(hook, update)
        wait(f"the web to wait ({stage})", holder.web_is_waiting, 30, web)
        web.stop(kill=True)  # Telegram gets no answer
        poster.join(timeout=10)
        stored = scalar(url, "SELECT count(*) FROM inbound_messages")
        holder.release()
        # Telegram retries the same update against a restarted web.
        web = Served(tmp_path, env, "web", port)
        processes.append(web)
        web.wait_healthy()
        retried = fake_telegram.post_update(update, url=hook, secret_token=WEBHOOK_SECRET)
        _wait_answered(url, 1, worker, web)
    finally:
        holder.release()
        for served in reversed(processes):
            served.stop()
        container.close()

    assert stored == 0  # store and processing commit together: the kill left nothing
    assert retried == 200  # the retry is acknowledged, not refused
    assert scalar(url, "SELECT count(*) FROM inbound_messages WHERE processed_at IS NOT NULL") == 1
    assert scalar(url, "SELECT count(*) FROM consultation_answers WHERE value = 'yes'") == 1
    replies = [c.params["text"] for c in fake_telegram.sent_messages(chat)[before:]]
    assert len(replies) == 1 and "How often do you go?" in replies[0]  # the next question, once
    assert scalar(url, "SELECT count(*) FROM outbox") == PER_PARENT + 1


def _lock_waits(url: str) -> int:
    return scalar(
        url,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'",
    )


def test_kill_web_mid_batch_then_every_retried_update_is_processed_once(
    tmp_path: Path, fault_db: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    """Two parents' updates, received together in one transaction (group commit), are
    stored and mid-way through processing when the web is killed: neither is kept, and
    Telegram's retries are each processed once."""
    url = fault_db
    if url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: a batch cannot be held half way through")
    container = fresh_database(url, tmp_path)
    seed_parents(url, telegram=3)
    launch_consultation(container, "fault-batch", "feltham")
    env = provider_env(url, fake_telegram, fake_twilio, PUBLIC_BASE_URL="http://127.0.0.1")
    port = free_port()
    processes = [Served(tmp_path, env, command="worker"), Served(tmp_path, env, "web", port)]
    worker, web = processes
    chats = {n: str(FIRST_CHAT + n) for n in (1, 2, 3)}
    updates = {
        n: {"update_id": 525250 + n, "message": FakeTelegram.text_message(int(chat), "Yes")}
        for n, chat in chats.items()
    }
    hook = f"http://127.0.0.1:{port}/webhooks/telegram"
    engine = create_engine(url)
    first, second = engine.connect(), engine.connect()
    held = "SELECT contact_id FROM conversation_states WHERE contact_id = :id FOR UPDATE"
    try:
        web.wait_healthy()
        wait(
            "the questions",
            lambda: all(len(fake_telegram.sent_messages(c)) == PER_PARENT for c in chats.values()),
            30,
            worker,
        )
        first.execute(text(held), {"id": 1})
        second.execute(text(held), {"id": 2})
        _post_in_background(hook, updates[1])
        wait("parent 1's update to wait", lambda: _lock_waits(url) == 1, 30, web)
        _post_in_background(hook, updates[2])
        _post_in_background(hook, updates[3])
        time.sleep(1.0)  # both queue behind parent 1's, to be received together next
        first.rollback()  # parent 1's goes through; then 2 and 3's batch waits on parent 2
        wait(
            "parent 1's answer, then the batch to wait",
            lambda: (
                scalar(url, "SELECT count(*) FROM consultation_answers") == 1
                and _lock_waits(url) == 1
            ),
            30,
            web,
        )
        web.stop(kill=True)  # Telegram gets no answer for 2 and 3
        stored = scalar(url, "SELECT count(*) FROM inbound_messages")
        second.rollback()
        web = Served(tmp_path, env, "web", port)
        processes.append(web)
        web.wait_healthy()
        retried = [
            fake_telegram.post_update(updates[n], url=hook, secret_token=WEBHOOK_SECRET)
            for n in (2, 3, 1)  # parent 1's retried too, though it was answered
        ]
        _wait_answered(url, 3, worker, web)
    finally:
        first.close()
        second.close()
        engine.dispose()
        for served in reversed(processes):
            served.stop()
        container.close()

    assert stored == 1  # parent 1's alone: the killed batch left nothing of 2 and 3
    assert retried == [200, 200, 200]
    assert scalar(url, "SELECT count(*) FROM inbound_messages WHERE processed_at IS NOT NULL") == 3
    assert scalar(url, "SELECT count(*) FROM consultation_answers WHERE value = 'yes'") == 3
    for chat in chats.values():
        replies = [c.params["text"] for c in fake_telegram.sent_messages(chat)[PER_PARENT:]]
        assert len(replies) == 1 and "How often do you go?" in replies[0]  # once each


def test_kill_worker_mid_send_then_another_sends_after_the_lease(
    tmp_path: Path, fault_db: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    url, parents = fault_db, 300
    container = fresh_database(url, tmp_path)
    seed_parents(url, telegram=parents)
    launch_consultation(container, "fault-worker", "feltham")
    total = parents * PER_PARENT
    env = provider_env(
        url, fake_telegram, fake_twilio, OUTBOX_LEASE_SECONDS="3", TELEGRAM_RATE="100"
    )
    fake_telegram.latency = 2.0  # sends are held: the worker dies with messages in flight
    processes = [Served(tmp_path, env, command="worker")]
    try:
        wait("sends in flight", lambda: len(fake_telegram.sent_messages()) >= 50, 60, *processes)
        processes[0].stop(kill=True)
        time.sleep(0.5)  # requests already on the wire are still read by the fake
        received = len(fake_telegram.sent_messages())
        recorded = scalar(url, SENT)
        fake_telegram.latency = 0.0
        processes.append(Served(tmp_path, env, command="worker"))
        wait("every message", lambda: scalar(url, SENT) == total, 90, *processes)
        time.sleep(1.0)  # any late duplicate arrives now
    finally:
        for served in reversed(processes):
            served.stop()
        container.close()

    in_flight = received - recorded  # reached Telegram, not recorded as sent when killed
    counts = arrivals(fake_telegram, fake_twilio)
    duplicates = sum(n - 1 for n in counts.values())
    print(f"\nworker kill: {in_flight} in flight at the kill, {duplicates} duplicates")
    assert in_flight > 0  # the kill did land mid-send
    assert len(counts) == total  # every message reached its parent
    assert max(counts.values()) <= 2 and duplicates <= in_flight
    assert scalar(url, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0


@pytest.mark.postgres
def test_kill_clock_mid_pass_then_the_standby_completes_it(
    tmp_path: Path, postgres_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    """The pass is held in its second batch, so the kill lands mid-pass however fast it is:
    the first 5,000 households are due a minute earlier (the pass takes the longest-due
    first), and the rest's identities are locked, which the outbox's foreign-key check waits on.
    """
    url, households, first_batch = postgres_url, 12000, 5000
    container = fresh_database(url, tmp_path)
    now = datetime.now(UTC)
    seed_parents(url, telegram=households, next_tip_at=now - timedelta(minutes=1))
    holder = create_engine(url)
    with holder.begin() as connection:
        connection.execute(
            text("UPDATE contacts SET next_tip_at = :at WHERE id <= :n"),
            {"at": now - timedelta(minutes=2), "n": first_batch},
        )
    held = holder.connect()
    held.execute(
        text("SELECT id FROM contact_identities WHERE contact_id > :n FOR UPDATE"),
        {"n": first_batch},
    )
    env = provider_env(
        url,
        fake_telegram,
        fake_twilio,
        CLOCK_INTERVAL_SECONDS="3600",
        CLOCK_STANDBY_RETRY_SECONDS="1",
    )
    tips = "SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'tip:%'"
    waiting = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock'"
    )
    processes: list[Served] = []
    try:
        leader = Served(tmp_path, env, command="clock")
        processes.append(leader)
        wait(
            "the first clock to lead",
            lambda: "clock: leading" in leader.log_path.read_text(),
            60,
            leader,
        )
        standby = Served(tmp_path, env, command="clock")
        processes.append(standby)
        wait("the standby", lambda: "standing by" in standby.log_path.read_text(), 60, standby)
        wait(
            "the pass held in its second batch",
            lambda: scalar(url, tips) == first_batch and scalar(url, waiting) > 0,
            60,
            leader,
        )
        leader.stop(kill=True)
        at_kill = scalar(url, tips)
        held.close()
        wait("every household's tip", lambda: scalar(url, tips) >= households, 90, standby)
        time.sleep(1.0)
    finally:
        held.close()
        holder.dispose()
        for served in reversed(processes):
            served.stop()
        container.close()

    print(f"\nclock kill: {at_kill} of {households} tips queued at the kill")
    assert 0 < at_kill < households  # killed mid-pass
    assert scalar(url, tips) == households  # every due tip queued exactly once
    assert scalar(url, "SELECT count(DISTINCT contact_id) FROM outbox") == households
    assert scalar(
        url, "SELECT count(*) FROM (SELECT child_id, tip_id FROM tip_deliveries GROUP BY 1, 2) t"
    ) == scalar(url, "SELECT count(*) FROM tip_deliveries")
    assert scalar(url, "SELECT count(*) FROM contacts WHERE next_tip_at <= now()") == 0
