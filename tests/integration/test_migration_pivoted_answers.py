"""Migration 0011 pivots the answers already stored onto their invites, on both engines, so
an export after the upgrade holds every answer given before it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from storage.consultation_models import Consultation, ConsultationAnswer, ConsultationInvite
from storage.db import alembic_config
from storage.models import Community, Contact
from tests.conftest import PG_SKIP, PG_URL

WHEN = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, with nothing in it (the shared test database stays migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        return
    if not PG_URL:
        pytest.skip(PG_SKIP)
    name = f"test_upgrade_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def answer(
    contact_id: int | None, question: str, value: str | None, skipped: bool = False
) -> dict[str, object]:
    return {
        "consultation_id": "play-park",
        "contact_id": contact_id,
        "question_id": question,
        "value": value,
        "skipped": skipped,
        "channel": "sms",
        "answered_at": WHEN,
    }


def test_answers_stored_before_the_upgrade_are_pivoted_onto_their_invites(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "0010")
    engine = create_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            insert(Community.__table__).values(
                id="bettws",
                name="Bettws",
                nation="Wales",
                languages=["en", "cy"],
                timezone="Europe/London",
            )
        )
        connection.execute(
            insert(Consultation.__table__).values(
                id="play-park",
                definition={},
                status="open",
                launch_at=WHEN,
                created_at=WHEN,
                updated_at=WHEN,
            )
        )
        for n in (1, 2):
            connection.execute(
                insert(Contact.__table__).values(
                    id=n,
                    code=f"B{n}",
                    community_id="bettws",
                    language="en",
                    status="active",
                    is_simulated=False,
                    created_at=WHEN,
                    updated_at=WHEN,
                )
            )
            connection.execute(
                insert(ConsultationInvite.__table__).values(
                    consultation_id="play-park",
                    contact_id=n,
                    community_id="bettws",
                    language="en",
                    channel="sms",
                    age_band="12-23m",
                    status="started",
                    invited_at=WHEN,
                    started_at=WHEN,
                )
            )
        connection.execute(
            insert(ConsultationAnswer.__table__),
            [
                answer(1, "uses", "yes"),
                answer(1, "help", "shade,toilets"),
                answer(1, "safety", None, skipped=True),
                answer(1, "ideas", None),  # blanked by retention
                answer(None, "uses", "no"),  # an erased family's, kept anonymously
            ],
        )
    command.upgrade(alembic_config(empty_url), "head")
    with engine.connect() as connection:
        invite = ConsultationInvite.__table__.c
        found = dict(connection.execute(select(invite.contact_id, invite.answers)).all())
    engine.dispose()
    assert found == {1: {"uses": "yes", "help": "shade,toilets"}, 2: None}
