"""A consultation launched while a parent's message is mid-transaction, on PostgreSQL.

The soak (benchmarks/soak.py) found the launch and a message deadlocking: the message held its
contact FOR UPDATE and wanted the conversation row the launch had just moved; the launch's
outbox INSERT wanted a key-share lock on that contact for its foreign key. Now the launch skips
a contact a message holds, and asks them at the next pass.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, delete, text, update

from bot.consultation_clock import run_consultation_pass
from bot.consultation_yaml import load
from bot.consultations import launch, messages_for
from bot.container import build, prepare_database
from conversations.consultations.model import Consultation
from conversations.types import Channel
from storage import consultation_start, contacts, inbound
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationInvite
from storage.db import transaction
from storage.models import ConversationState as StateRow
from storage.models import Outbox
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
        """What the inbound service holds while the engine works on a message: the sender's
        lock on a new message's arrival, and the sweeper's on a kept one (either is enough)."""
        with transaction(container.sessions) as session:
            assert inbound.locked_sender(session, Channel.SMS, ENGLISH_SMS) is not None
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


def test_two_passes_at_once_both_starting_the_same_parent_do_not_collide(
    postgres_url: str, tmp_path: Path
) -> None:
    """An API launch's pass beside the clock's: both give a parent their conversation row."""
    _truncate_postgres(postgres_url)
    container = build(make_settings(postgres_url, tmp_path), clock=lambda: START)
    prepare_database(container)
    world = World(container)
    populate(world)
    consultation = play_park()
    launch(container, consultation)
    parent = world.contact_id(ENGLISH_SMS)
    with transaction(container.sessions) as session:  # pending, with no conversation row yet
        session.execute(
            update(ConsultationInvite)
            .where(ConsultationInvite.contact_id == parent)
            .values(status="pending")
        )
        session.execute(delete(Outbox).where(Outbox.contact_id == parent))
        session.execute(delete(StateRow).where(StateRow.contact_id == parent))
    version = container.engine.config.privacy_notice_version
    first_done, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first_pass() -> None:
        """A pass that has written the row but not yet committed."""
        with transaction(container.sessions) as session:
            row = session.get_one(ConsultationRow, consultation.id)
            intro = messages_for(container.engine.config, consultation, "intro")
            question = consultation.first().id
            consultation_start.start_pending(session, row, question, intro, START, version)
            first_done.set()
            release.wait(60)

    def second_pass() -> None:
        try:
            run_consultation_pass(container, START)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    first = threading.Thread(target=first_pass)
    first.start()
    assert first_done.wait(30)
    second = threading.Thread(target=second_pass)
    second.start()
    engine = create_engine(postgres_url)
    try:
        with engine.connect() as connection:  # the second pass waits on the first's new row
            for _ in range(600):
                waiting = connection.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
                )
                if waiting:
                    break
                time.sleep(0.05)
            assert waiting
    finally:
        release.set()
        first.join()
        second.join()
        engine.dispose()
    try:
        assert errors == []
        assert len(world.outbox(ENGLISH_SMS, "intro")) == 2  # asked once, by the first pass
    finally:
        container.close()
