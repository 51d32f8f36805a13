"""What the fault tests share: a clean PostgreSQL, seeded parents, provider settings, counting."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.consultation_yaml import load
from bot.consultations import launch
from bot.container import Container, build, prepare_database
from conversations.consultations.model import Audience, Consultation
from tests.conftest import TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID, make_settings
from tests.e2e.processes import Served, served_env
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "fault-test-secret-not-real"  # noqa: S105 - a fake token
SMS_FROM = "+447700900999"
FIRST_CHAT = 700000000  # Telegram parent n has chat FIRST_CHAT + n
PER_PARENT = 2  # a consultation's intro and first question


def fresh_postgres(url: str, tmp_path: Path) -> Container:
    """Empty every table, then an in-process container (migrated, tips loaded) for setup."""
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).all()
        names = ", ".join(f'"{t}"' for t in tables if t != "alembic_version")
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    container = build(make_settings(url, tmp_path))
    prepare_database(container)
    return container


def seed_parents(
    url: str, telegram: int, sms: int = 0, community: str = "feltham", **child: object
) -> None:
    """Active, consented parents with a toddler (or `birth_date=`), set-based.

    Ids 1..telegram are on Telegram (chat FIRST_CHAT + id); the next `sms` are on SMS,
    numbers +447700900000 upwards (the fake range).
    """
    now = datetime.now(UTC)
    born = child.get("birth_date", (now - timedelta(days=400)).date())
    next_tip = child.get("next_tip_at", now + timedelta(days=30))
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO contacts (id, code, community_id, language, status, consent_version,"
                " is_simulated, created_at, updated_at, tip_weekday, tip_time, next_tip_at)"
                " SELECT n, 'FT' || lpad(n::text, 6, '0'), :community, 'en', 'active',"
                " '2026-11', false, :now, :now, 1, '10:00', :next_tip"
                " FROM generate_series(1, :total) AS n"
            ),
            {"community": community, "total": telegram + sms, "now": now, "next_tip": next_tip},
        )
        connection.execute(
            text(
                "INSERT INTO contact_identities (contact_id, channel, address, reachable,"
                " created_at)"
                " SELECT id, CASE WHEN id > :tg THEN 'sms' ELSE 'telegram' END,"
                " CASE WHEN id > :tg THEN '+447700900' || lpad((id - :tg - 1)::text, 3, '0')"
                " ELSE (:chat + id)::text END, true, :now FROM contacts"
            ),
            {"tg": telegram, "chat": FIRST_CHAT, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO children (contact_id, birth_date, birth_checks, created_at,"
                " updated_at) SELECT id, :born, 0, :now, :now FROM contacts"
            ),
            {"born": born, "now": now},
        )
        connection.execute(
            text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), :total)"),
            {"total": telegram + sms},
        )
    engine.dispose()


def launch_consultation(container: Container, consultation_id: str, community: str) -> None:
    """The example play-park consultation, for `community`, launched now (rows queued)."""
    consultation, _ = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None
    audience = Audience(community=community, child_age_months=(0, 60))
    chosen: Consultation = replace(consultation, id=consultation_id, audience=audience)
    launch(container, chosen, datetime.now(UTC))


def provider_env(
    url: str, telegram: FakeTelegram, twilio: FakeTwilio, **extra: str
) -> dict[str, str]:
    """A served process's environment talking to the two fakes."""
    return served_env(
        url,
        TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN,
        TELEGRAM_API_BASE_URL=telegram.origin,
        TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_AUTH,
        TWILIO_FROM_NUMBER=SMS_FROM,
        TWILIO_API_BASE_URL=twilio.origin,
        **extra,
    )


def via_port(url: str, port: int) -> str:
    """The same database URL through another port on 127.0.0.1 (a proxy)."""
    return make_url(url).set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


def wait(what: str, predicate: Callable[[], bool], timeout: float, *logs: Served) -> float:
    """Poll until `predicate`; returns the monotonic time it first held, or fails with logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.05)
    tails = "\n".join(f"--- {s.log_path.name} ---\n{s.log_path.read_text()[-3000:]}" for s in logs)
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def scalar(url: str, sql: str, **params: object) -> int:
    """One number from the database (a fresh connection: the test's own view)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text(sql), params) or 0)
    finally:
        engine.dispose()


def arrivals(telegram: FakeTelegram, twilio: FakeTwilio) -> Counter[tuple[str, str]]:
    """How many times each (address, text) reached a fake, successful sends only."""
    return Counter(
        [(str(c.params["chat_id"]), str(c.params["text"])) for c in telegram.sent_messages()]
        + [(str(c.to), str(c.params["Body"])) for c in twilio.sent()]
    )


def busiest_second(times: list[float]) -> int:
    """The most requests in any one-second window."""
    ordered, busiest, start = sorted(times), 0, 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


def outage_seconds() -> float:
    """DB_OUTAGE_SECONDS: how long the database stays away (the issue says 30)."""
    return float(os.environ.get("DB_OUTAGE_SECONDS", "30"))
