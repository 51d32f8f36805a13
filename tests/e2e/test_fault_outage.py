"""Faults, part three: the database unreachable for DB_OUTAGE_SECONDS (30 by default).

The shared PostgreSQL server stays up: each process reaches it through its own TcpProxy,
and the test cuts all three at once in the middle of a broadcast. While cut, webhooks
answer 503 (so Telegram and Twilio retry), /healthz says the database is down, and the
worker backs off instead of spinning (its connection attempts through its proxy are
counted). Once restored, the providers' retries are processed once, everything queued is
sent, and no process had to be restarted.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.e2e.fault_world import (
    FIRST_CHAT,
    PER_PARENT,
    WEBHOOK_SECRET,
    arrivals,
    fresh_database,
    launch_consultation,
    outage_seconds,
    provider_env,
    scalar,
    seed_parents,
    via_port,
    wait,
)
from tests.e2e.processes import Served, free_port
from tests.fakes.tcp_proxy import TcpProxy
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

pytestmark = pytest.mark.postgres

TELEGRAM_PARENTS, SMS_PARENTS, ANSWERING = 30, 10, 5
PROVIDER_RETRY = 5.0  # how often the fake providers retry a refused webhook


class Providers:
    """Telegram and Twilio delivering parents' answers, retrying each until it is taken."""

    def __init__(self, telegram: FakeTelegram, twilio: FakeTwilio, base: str) -> None:
        self.telegram, self.twilio, self.base = telegram, twilio, base
        self.pending = {f"tg{n}" for n in range(1, ANSWERING + 1)}
        self.pending |= {f"sms{n}" for n in range(ANSWERING)}
        self.answers: list[tuple[str, int]] = []  # (webhook, HTTP status), every delivery

    def deliver(self) -> None:
        for key in sorted(self.pending):
            status = self._post(key)
            self.answers.append((key, status))
            if status == 200:
                self.pending.discard(key)

    def _post(self, key: str) -> int:
        try:
            if key.startswith("tg"):
                n = int(key[2:])
                update = {
                    "update_id": 90000 + n,
                    "message": FakeTelegram.text_message(FIRST_CHAT + n, "Yes", message_id=n),
                }
                return self.telegram.post_update(
                    update, url=f"{self.base}/webhooks/telegram", secret_token=WEBHOOK_SECRET
                )
            n = int(key[3:])
            sid = f"SMfault{n:026d}"  # the same MessageSid on every retry, as Twilio does
            return self.twilio.deliver_inbound(
                f"{self.base}/webhooks/twilio/sms",
                f"+447700900{n:03d}",
                "1",
                extra={"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid},
            )
        except httpx.TransportError:
            return 0


def test_the_database_away_for_a_while_then_everything_completes_once(
    tmp_path: Path, postgres_url: str, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    url, outage = postgres_url, outage_seconds()
    container = fresh_database(url, tmp_path)
    seed_parents(url, telegram=TELEGRAM_PARENTS, sms=SMS_PARENTS)
    launch_consultation(container, "fault-outage", "feltham")
    broadcast = (TELEGRAM_PARENTS + SMS_PARENTS) * PER_PARENT
    server = make_url(url)
    proxies = {
        name: TcpProxy(server.host or "127.0.0.1", server.port or 5432).start()
        for name in ("web", "worker", "clock")
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def env(name: str) -> dict[str, str]:
        return provider_env(
            via_port(url, proxies[name].port),
            fake_telegram,
            fake_twilio,
            PUBLIC_BASE_URL=base,
            TELEGRAM_RATE="4",  # slow enough that the cut lands mid-broadcast
            TWILIO_MPS="2",
            OUTBOX_LEASE_SECONDS="5",
            INBOUND_SWEEP_SECONDS="2",
            CLOCK_INTERVAL_SECONDS="2",
            CLOCK_STANDBY_RETRY_SECONDS="2",
        )

    web = Served(tmp_path, env("web"), "web", port)
    worker = Served(tmp_path, env("worker"), command="worker")
    clock = Served(tmp_path, env("clock"), command="clock")
    processes = [web, worker, clock]
    providers = Providers(fake_telegram, fake_twilio, base)
    try:
        web.wait_healthy()
        wait(
            "part of the broadcast",
            lambda: len(arrivals(fake_telegram, fake_twilio)) >= 10,
            60,
            worker,
        )
        for proxy in proxies.values():
            proxy.cut()
        cut_at = time.monotonic()
        health = httpx.get(f"{base}/healthz", timeout=10)
        while time.monotonic() - cut_at < outage:
            providers.deliver()
            time.sleep(PROVIDER_RETRY)
        during = {name: proxy.attempts for name, proxy in proxies.items()}
        refused = list(providers.answers)
        sent_in_outage = len(arrivals(fake_telegram, fake_twilio))
        alive = [s.process.poll() is None for s in processes]
        for proxy in proxies.values():
            proxy.restore()
        while providers.pending:  # the providers keep retrying until the webhooks take them
            providers.deliver()
            if providers.pending:
                time.sleep(1.0)
        wait(
            "everything queued to be sent",
            lambda: (
                scalar(url, "SELECT count(*) FROM outbox WHERE status <> 'sent'") == 0
                and scalar(url, "SELECT count(*) FROM consultation_answers") == 2 * ANSWERING
                and scalar(url, "SELECT count(*) FROM outbox") == broadcast + 2 * ANSWERING
            ),
            60,
            *processes,
        )
        time.sleep(1.0)
        health_after = httpx.get(f"{base}/healthz", timeout=10)
    finally:
        for served in reversed(processes):
            served.stop()
        for proxy in proxies.values():
            proxy.stop()
        container.close()

    counts = arrivals(fake_telegram, fake_twilio)
    re_leased = scalar(url, "SELECT count(*) FROM outbox WHERE attempts > 1")
    print(
        f"\noutage {outage:.0f}s: connection attempts {during}; {len(refused)} webhooks refused;"
        f" {sent_in_outage} of {broadcast} sent before the restore; {re_leased} re-leased"
    )
    assert health.status_code == 503 and health.json()["database"] is False
    assert refused and {status for _, status in refused} == {503}  # retryable, never a 500
    assert all(alive)  # nothing crashed
    # No tight loop: the worker waits up to 5 s between attempts (0.5, 1, 2, 4, 5, 5, ...).
    assert during["worker"] <= 2 * (outage / 5 + 6)
    assert during["clock"] <= 2 * (outage / 2 + 2)  # one lock attempt per standby retry
    assert health_after.status_code == 200
    worker_log = worker.log_path.read_text()
    assert worker_log.count("worker: database unreachable") == 1  # said once, not every round
    assert "worker: database reachable again" in worker_log
    logs = worker_log + web.log_path.read_text() + clock.log_path.read_text()
    assert "+4477009" not in logs and str(FIRST_CHAT + 1) not in logs  # no addresses at INFO
    # Each answer stored once, each answerer got exactly one reply (the next question).
    assert scalar(url, "SELECT count(*) FROM inbound_messages WHERE processed_at IS NOT NULL") == (
        2 * ANSWERING
    )
    assert scalar(url, "SELECT count(*) FROM consultation_answers WHERE value = 'yes'") == (
        2 * ANSWERING
    )
    assert len(counts) == broadcast + 2 * ANSWERING  # every message reached its parent
    duplicates = sum(n - 1 for n in counts.values())
    assert max(counts.values()) <= 2 and duplicates <= re_leased  # only what was in flight
