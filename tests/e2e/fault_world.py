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
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from bot.consultation_yaml import load
from bot.consultations import launch
from bot.container import Container, build, prepare_database
from conversations.consultations.model import Audience, Consultation
from storage.models import Child, Contact, ContactIdentity
from tests.conftest import TELEGRAM_TOKEN, TWILIO_AUTH, TWILIO_SID, make_settings
from tests.e2e.processes import Served, served_env
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "fault-test-secret-not-real"
SMS_FROM = "+447700900999"
FIRST_CHAT = 700000000  # Telegram parent n has chat FIRST_CHAT + n
PER_PARENT = 2  # a consultation's intro and first question


def fresh_database(url: str, tmp_path: Path) -> Container:
    """An empty database (PostgreSQL truncated, SQLite a new file), migrated, tips loaded."""
    if url.startswith("postgresql"):
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
    url: str,
    telegram: int,
    sms: int = 0,
    community: str = "feltham",
    next_tip_at: datetime | None = None,
) -> None:
    """Active, consented parents with a toddler, in bulk INSERTs on either engine.

    Ids 1..telegram are on Telegram (chat FIRST_CHAT + id); the next `sms` are on SMS,
    numbers +447700900000 upwards (the fake range).
    """
    now = datetime.now(UTC)
    ids = range(1, telegram + sms + 1)
    contacts = [
        {
            "id": n,
            "code": f"FT{n:06d}",
            "community_id": community,
            "language": "en",
            "status": "active",
            "consent_version": "2026-11",
            "is_simulated": False,
            "created_at": now,
            "updated_at": now,
            "tip_weekday": 1,
            "tip_time": "10:00",
            "next_tip_at": next_tip_at or now + timedelta(days=30),
        }
        for n in ids
    ]
    identities = [
        {
            "contact_id": n,
            "channel": "telegram" if n <= telegram else "sms",
            "address": str(FIRST_CHAT + n)
            if n <= telegram
            else f"+447700900{n - telegram - 1:03d}",
            "reachable": True,
            "created_at": now,
        }
        for n in ids
    ]
    born = (now - timedelta(days=400)).date()
    children = [
        {
            "contact_id": n,
            "birth_date": born,
            "birth_checks": 0,
            "created_at": now,
            "updated_at": now,
        }
        for n in ids
    ]
    engine = create_engine(url)
    with engine.begin() as connection:
        for table, rows in (
            (Contact.__table__, contacts),
            (ContactIdentity.__table__, identities),
            (Child.__table__, children),
        ):
            connection.execute(insert(table), rows)  # type: ignore[arg-type]
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT setval(pg_get_serial_sequence('contacts', 'id'), :n)"), {"n": len(ids)}
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
