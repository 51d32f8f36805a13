"""A launch fanned out in chunks: everyone asked once and in order, whatever dies or overlaps.

The chunk is three contacts here, so eight households take three chunks. On SQLite and
PostgreSQL, through the launch service and the clock's pass as the dashboard and clock run them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.consultation_clock import fan_out, run_consultation_pass
from bot.consultations import FAN_OUT_THREAD, launch
from bot.container import Container, build, prepare_database
from conversations.consultations.model import Audience
from storage import consultation_audience as audience_sql
from storage import consultation_fanout as fanout
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationInvite
from storage.db import transaction
from storage.models import Contact, Outbox
from tests.conftest import FIXED_NOW, make_settings
from tests.integration.test_consultation_start import add_household, invites, play_park

FELTHAM = Audience(community="feltham")


def chunked(database_url: str, tmp_path: Path) -> Container:
    built = build(
        make_settings(database_url, tmp_path, consultation_fanout_chunk=3),
        clock=lambda: FIXED_NOW,
    )
    prepare_database(built)
    return built


@pytest.fixture
def small_chunks(database_url: str, tmp_path: Path) -> Iterator[Container]:
    built = chunked(database_url, tmp_path)
    yield built
    built.close()


def households(container: Container, count: int = 8) -> list[int]:
    return [add_household(container, f"p{n}", ((date(2025, 1, n + 1),), ())) for n in range(count)]


def queued(container: Container) -> list[tuple[int, str]]:
    """(contact, dedupe key) of every outbox row, in the order the dispatcher sends them."""
    with transaction(container.sessions) as session:
        rows = session.execute(select(Outbox.contact_id, Outbox.dedupe_key).order_by(Outbox.id))
        return [(contact, key) for contact, key in rows]


def asked_once_in_order(container: Container, ids: list[int]) -> None:
    rows = queued(container)
    for contact_id in ids:
        keys = [key for contact, key in rows if contact == contact_id]
        assert keys == [f"c:play-park:intro:0:{contact_id}", f"c:play-park:intro:1:{contact_id}"]
    assert len(rows) == 2 * len(ids)
    assert set(invites(container).values()) == {("12-23m", "asked")}
    with transaction(container.sessions) as session:
        row = session.get_one(ConsultationRow, "play-park")
        assert (row.status, row.recipients, row.fanout_after) == ("open", len(ids), None)


def test_a_launch_asks_the_first_chunk_at_once_and_the_clock_the_rest(
    small_chunks: Container,
) -> None:
    ids = households(small_chunks)
    planned = launch(small_chunks, play_park(FELTHAM), background=False)
    assert planned.recipients == 8
    assert {contact for contact, _key in queued(small_chunks)} == set(ids[:3])
    run_consultation_pass(small_chunks, FIXED_NOW)
    asked_once_in_order(small_chunks, ids)
    # Contacts come in id order, chunk after chunk: the first asked are sent first.
    order = [contact for contact, _key in queued(small_chunks)]
    assert [set(order[n : n + 6]) for n in (0, 6, 12)] == [
        set(ids[0:3]),
        set(ids[3:6]),
        set(ids[6:]),
    ]
    run_consultation_pass(small_chunks, FIXED_NOW)
    assert len(queued(small_chunks)) == 16  # a further pass sends nothing again


def test_the_launch_thread_queues_the_rest_without_waiting_for_the_clock(
    small_chunks: Container,
) -> None:
    ids = households(small_chunks)
    launch(small_chunks, play_park(FELTHAM))
    for thread in threading.enumerate():  # only the launch's own thread, not other tests'
        if thread.name.startswith(FAN_OUT_THREAD):
            thread.join(timeout=60)
    asked_once_in_order(small_chunks, ids)


def test_a_crash_mid_chunk_or_between_chunks_loses_and_repeats_nothing(
    small_chunks: Container, database_url: str, tmp_path: Path
) -> None:
    ids = households(small_chunks)
    launch(small_chunks, play_park(FELTHAM), background=False)
    fan_out(small_chunks, FIXED_NOW, 60, chunks=1)  # the second chunk, then the process dies
    with pytest.raises(RuntimeError), transaction(small_chunks.sessions) as session:
        taken = fanout.take_chunk(session, "play-park", 3)
        assert taken is not None
        audience_sql.invite(
            session, "play-park", FELTHAM, FIXED_NOW.date(), FIXED_NOW, span=taken[1]
        )
        raise RuntimeError("the process died in the third chunk")
    assert len(invites(small_chunks)) == 6
    small_chunks.close()
    restarted = chunked(database_url, tmp_path)  # a fresh process's first pass
    run_consultation_pass(restarted, FIXED_NOW)
    asked_once_in_order(restarted, ids)
    restarted.close()


def test_two_passes_at_once_invite_and_ask_everyone_once(
    small_chunks: Container, database_url: str, tmp_path: Path
) -> None:
    ids = households(small_chunks, 20)
    launch(small_chunks, play_park(FELTHAM), background=False)
    other = chunked(database_url, tmp_path)
    passes = [
        threading.Thread(target=run_consultation_pass, args=(c, FIXED_NOW))
        for c in (small_chunks, other)
    ]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join()
    other.close()
    asked_once_in_order(small_chunks, ids)


def test_reminders_count_from_when_each_parent_was_asked(small_chunks: Container) -> None:
    early, late = households(small_chunks, 2)
    with transaction(small_chunks.sessions) as session:
        session.get_one(Contact, late).consent_version = "2025-01"
    launch(small_chunks, play_park(FELTHAM), background=False)
    a_day_later = FIXED_NOW + timedelta(days=1)
    with transaction(small_chunks.sessions) as session:
        session.get_one(Contact, late).consent_version = "2026-11"
    run_consultation_pass(small_chunks, a_day_later)  # asks the parent who has now agreed
    with transaction(small_chunks.sessions) as session:
        rows = session.execute(select(ConsultationInvite.contact_id, ConsultationInvite.asked_at))
        asked = {contact: at for contact, at in rows}
    assert (asked[early], asked[late]) == (FIXED_NOW, a_day_later)

    def reminded() -> set[int]:
        return {c for c, key in queued(small_chunks) if ":reminder1:" in key}

    run_consultation_pass(small_chunks, FIXED_NOW + timedelta(days=2, hours=1))
    assert reminded() == {early}
    run_consultation_pass(small_chunks, a_day_later + timedelta(days=2, hours=1))
    assert reminded() == {early, late}
