"""A consultation launched while a parent's message is mid-transaction, on PostgreSQL.

The soak (benchmarks/soak.py) found the launch and a message deadlocking: the message held its
contact FOR UPDATE and wanted the conversation row the launch had just moved; the launch's
outbox INSERT wanted a key-share lock on that contact for its foreign key. Now the launch skips
a contact a message holds, and asks them at the next pass.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.consultation_yaml import load
from bot.consultations import launch
from bot.container import build, prepare_database
from conversations.consultations.model import Consultation
from storage import contacts
from storage.db import transaction
from tests.conftest import _truncate_postgres, make_settings
from tests.integration.world import ENGLISH_SMS, START, WELSH_SMS, World, populate

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def play_park() -> Consultation:
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    return replace(consultation)


def test_a_launch_passes_over_a_parent_mid_message_and_asks_them_next_pass(
    postgres_url: str, tmp_path: Path
) -> None:
    _truncate_postgres(postgres_url)
    container = build(make_settings(postgres_url, tmp_path), clock=lambda: START)
    prepare_database(container)
    world = World(container)
    populate(world)
    busy = world.contact_id(ENGLISH_SMS)
    holding, release = threading.Event(), threading.Event()

    def message_in_progress() -> None:
        """What the inbound service holds while the engine works on a message."""
        with transaction(container.sessions) as session:
            contacts.lock(session, busy)
            holding.set()
            release.wait(60)

    message = threading.Thread(target=message_in_progress)
    message.start()
    try:
        assert holding.wait(30)
        launcher = threading.Thread(target=launch, args=(container, play_park()))
        launcher.start()
        launcher.join(timeout=30)  # generous: the launch must not wait for the message at all
        launched_while_held = not launcher.is_alive()
    finally:
        release.set()
        message.join()
    launcher.join()
    try:
        assert launched_while_held
        assert len(world.outbox(WELSH_SMS, "intro")) == 2  # intro and first question
        assert world.outbox(ENGLISH_SMS, "intro") == []
        assert world.invite(ENGLISH_SMS).status == "pending"  # type: ignore[union-attr]

        world.tick(START + timedelta(minutes=1))
        assert len(world.outbox(ENGLISH_SMS, "intro")) == 2  # asked once, at the next pass
        assert world.invite(ENGLISH_SMS).status == "asked"  # type: ignore[union-attr]
    finally:
        container.close()
