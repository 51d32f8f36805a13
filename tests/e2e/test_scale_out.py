"""Two workers and two clocks on one PostgreSQL send a broadcast of thousands, each message once.

Real `python -m bot worker` and `python -m bot clock` processes against fake Telegram and
Twilio servers (which count every send and its arrival time). Mid-broadcast one worker and the
leading clock are killed with SIGKILL: nothing is lost, the rate limit holds across both
workers, and the standby clock takes over and launches a consultation that fell due after.
"""

from __future__ import annotations

import math
import signal
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.consultation_yaml import load
from bot.consultations import launch
from bot.container import build, prepare_database
from conversations.consultations.model import Audience, Consultation
from storage.consultation_models import Consultation as ConsultationRow
from storage.models import Outbox
from tests.conftest import TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID, make_settings
from tests.e2e.fault_world import busiest_second, wait
from tests.e2e.processes import Served, served_env
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
TELEGRAM_PARENTS = 1400  # in feltham: the broadcast
SMS_PARENTS = 600  # in feltham, numbers +447700900000-599 (the fake range)
LATE_PARENTS = 50  # in margate, on Telegram: the consultation due only after the kill
TELEGRAM_RATE = 150.0
SMS_RATE = 50.0
PER_PARENT = 2  # a consultation's intro and first question


def _seed(url: str) -> None:
    """Active, consented parents, each with a toddler, written set-based."""
    now = datetime.now(UTC)
    total = TELEGRAM_PARENTS + SMS_PARENTS + LATE_PARENTS
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (id, code, community_id, language, status, consent_version,"
                " is_simulated, created_at, updated_at, tip_weekday, tip_time, next_tip_at)"
                " SELECT n, 'SC' || lpad(n::text, 6, '0'),"
                " CASE WHEN n > :broadcast THEN 'margate' ELSE 'feltham' END, 'en', 'active',"
                " '2026-11', false, :now, :now, 1, '10:00', :later"
                " FROM generate_series(1, :total) AS n"
            ),
            {
                "broadcast": TELEGRAM_PARENTS + SMS_PARENTS,
                "total": total,
                "now": now,
                "later": now + timedelta(days=30),
            },
        )
        connection.execute(
            text(
                "INSERT INTO contact_identities (contact_id, channel, address, reachable,"
                " created_at)"
                " SELECT id, CASE WHEN id BETWEEN :tg + 1 AND :tg + :sms THEN 'sms'"
                " ELSE 'telegram' END,"
                " CASE WHEN id BETWEEN :tg + 1 AND :tg + :sms"
                " THEN '+447700900' || lpad((id - :tg - 1)::text, 3, '0')"
                " ELSE (700000000 + id)::text END, true, :now FROM contacts"
            ),
            {"tg": TELEGRAM_PARENTS, "sms": SMS_PARENTS, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO children (contact_id, birth_date, birth_checks, created_at,"
                " updated_at) SELECT id, :born, 0, :now, :now FROM contacts"
            ),
            {"born": (now - timedelta(days=400)).date(), "now": now},
        )
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), :total)"),
            {"total": total},
        )
    engine.dispose()


def _consultation(consultation_id: str, community: str) -> Consultation:
    consultation, _ = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None
    audience = Audience(community=community, child_age_months=(0, 60))
    return replace(consultation, id=consultation_id, audience=audience)


def _in_log(served: Served, words: str) -> Callable[[], bool]:
    return lambda: words in served.log_path.read_text()


def _ceiling(times: list[float], rate: float) -> tuple[float, float]:
    """(observed sends a second, the most a rate-`rate` bucket of burst `rate` allows)."""
    span = max(times) - min(times)
    return len(times) / span, rate * span + rate


def test_two_workers_and_two_clocks_send_a_broadcast_once_and_survive_sigkill(
    tmp_path: Path,
    postgres_url: str,
    fake_telegram: FakeTelegram,
    fake_twilio: FakeTwilio,
) -> None:
    url = postgres_url
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).all()
        names = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    container = build(make_settings(url, tmp_path))
    prepare_database(container)
    _seed(url)
    env = served_env(
        url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_API_BASE_URL=fake_telegram.origin,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_AUTH,
        TWILIO_FROM_NUMBER="+447700900999",
        TWILIO_API_BASE_URL=fake_twilio.origin,
        TELEGRAM_RATE=str(TELEGRAM_RATE),
        TWILIO_MPS=str(SMS_RATE),
        OUTBOX_LEASE_SECONDS="3",
        CLOCK_INTERVAL_SECONDS="1",
        CLOCK_STANDBY_RETRY_SECONDS="1",
    )
    processes: list[Served] = []
    try:
        leader = Served(tmp_path, env, command="clock")
        processes.append(leader)
        wait("the first clock to lead", _in_log(leader, "clock: leading"), 60, leader)
        standby = Served(tmp_path, env, command="clock")
        processes.append(standby)
        wait("the second clock to stand by", _in_log(standby, "standing by"), 60, standby)
        workers = [Served(tmp_path, env, command="worker") for _ in range(2)]
        processes += workers

        # Scheduled a moment ahead, so the leading clock, not this test, launches it.
        soon = datetime.now(UTC) + timedelta(seconds=1)
        launch(container, _consultation("scale-broadcast", "feltham"), soon)
        broadcast = (TELEGRAM_PARENTS + SMS_PARENTS) * PER_PARENT

        def sent() -> int:
            """Distinct messages delivered: a duplicate must not end the wait early."""
            return len(
                {(c.params["chat_id"], c.params["text"]) for c in fake_telegram.sent_messages()}
                | {(str(c.to), str(c.params["Body"])) for c in fake_twilio.sent()}
            )

        wait("a third of the broadcast", lambda: sent() >= broadcast // 3, 90, *processes)
        workers[0].stop(kill=True)
        leader.process.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        leader.process.wait(timeout=10)
        due_after_kill = datetime.now(UTC) + timedelta(seconds=0.5)
        launch(container, _consultation("scale-late", "margate"), due_after_kill)
        took_over = wait("the standby to lead", _in_log(standby, "clock: leading"), 30, standby)
        total = broadcast + LATE_PARENTS * PER_PARENT
        wait("every message", lambda: sent() >= total, 120, *processes)
        time.sleep(2)  # any duplicate would arrive now
    finally:
        for served in reversed(processes):
            served.stop()
        container.close()

    telegram = fake_telegram.sent_messages()
    sms = fake_twilio.sent()
    arrivals = Counter(
        [(c.params["chat_id"], c.params["text"]) for c in telegram]
        + [(str(c.to), str(c.params["Body"])) for c in sms]
    )
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
        )
        resent = connection.scalar(select(func.count()).where(Outbox.attempts > 1))
        late = connection.execute(
            select(ConsultationRow.status, ConsultationRow.launched_at).where(
                ConsultationRow.id == "scale-late"
            )
        ).one()
    engine.dispose()
    duplicates = sum(n - 1 for n in arrivals.values())
    tg_rate, tg_ceiling = _ceiling([c.at for c in telegram], TELEGRAM_RATE)
    sms_rate, sms_ceiling = _ceiling([c.at for c in sms], SMS_RATE)
    tg_peak = busiest_second([c.at for c in telegram])
    sms_peak = busiest_second([c.at for c in sms])
    print(
        f"\nscale-out: {len(arrivals)} messages, {duplicates} duplicates, {resent} re-leased;"
        f" telegram {tg_rate:.1f}/s, busiest second {tg_peak} (limit {TELEGRAM_RATE:.0f});"
        f" sms {sms_rate:.1f}/s, busiest second {sms_peak} (limit {SMS_RATE:.0f});"
        f" standby led {took_over - killed_at:.2f}s after the kill"
    )

    assert statuses == {"sent": total}  # nothing lost, nothing left behind
    assert len(arrivals) == total  # every message reached its parent
    # At least once: only a row the killed worker had in flight may go twice, and only twice.
    assert duplicates <= resent and max(arrivals.values()) <= 2
    # The shared bucket: across both workers, no more than the rate plus one burst.
    assert len(telegram) <= tg_ceiling * 1.05 and len(sms) <= sms_ceiling * 1.05
    # Tokens are taken when a worker claims, and a claim's sends reach the provider over the
    # next moments: a second of arrivals may also hold what each worker had claimed and not yet
    # sent, at most a quarter second of the rate a claim (CI saw 317 against rate + burst 300).
    assert tg_peak <= (2 * TELEGRAM_RATE + 2 * math.ceil(TELEGRAM_RATE / 4)) * 1.05
    assert sms_peak <= (2 * SMS_RATE + 2 * math.ceil(SMS_RATE / 4)) * 1.05
    # The standby led only after the kill and launched what fell due then.
    assert late.status == "open" and late.launched_at >= due_after_kill
    log = standby.log_path.read_text()
    assert log.index("standing by") < log.index("clock: leading")
    assert "+4477009" not in log + leader.log_path.read_text()  # no numbers in the INFO log


def test_the_clock_lock_admits_one_leader_until_its_connection_closes(postgres_url: str) -> None:
    """In-process: a second AdvisoryLeader cannot lead until the first releases."""
    from storage.leader import CLOCK_LOCK_KEY, AdvisoryLeader

    engine = create_engine(postgres_url)
    key = CLOCK_LOCK_KEY + 1  # not the real clock's: one from the test above may still be exiting
    first = AdvisoryLeader(engine, key, "clock", retry_seconds=0.05)
    second = AdvisoryLeader(engine, key, "clock", retry_seconds=0.05)
    try:
        # Handing over many times: a release must free the lock before it returns, not when
        # the server's backend gets round to exiting.
        for _ in range(20):
            assert first.try_lead() and first.still_leading()
            assert not second.try_lead()
            first.release()
            assert not first.still_leading()
            assert second.try_lead() and second.still_leading()
            first, second = second, first
    finally:
        first.release()
        second.release()
        engine.dispose()


def test_on_sqlite_every_clock_leads_without_a_lock(tmp_path: Path) -> None:
    from storage.leader import CLOCK_LOCK_KEY, AdvisoryLeader

    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    leader = AdvisoryLeader(engine, CLOCK_LOCK_KEY, "clock")
    assert leader.try_lead() and leader.still_leading() and leader.wait_to_lead()
    engine.dispose()
