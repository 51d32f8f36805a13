"""Launching to many: age bands, who is asked now and who waits, and message order.

Households are written straight into a real database (SQLite and PostgreSQL), then the
consultation goes out through the launch service as the dashboard and CLI send it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from bot.consultation_yaml import load
from bot.consultations import launch
from bot.container import Container
from conversations.consultations.model import Audience, Consultation
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationInvite
from storage.db import transaction
from storage.models import Child, Contact, ContactIdentity, ConversationState, Outbox
from tests.conftest import FIXED_NOW  # Tuesday 10 March 2026

ROOT = Path(__file__).resolve().parents[2]
NOTICE = "2026-11"
# code: (birth dates, due dates), each child's; today is 10 March 2026.
HOUSEHOLDS: dict[str, tuple[tuple[date, ...], tuple[date, ...]]] = {
    "none": ((), ()),
    "expecting": ((), (date(2026, 6, 1),)),
    "baby": ((date(2025, 9, 10),), ()),
    "one-today": ((date(2025, 3, 10),), ()),  # exactly 12 months: no longer 0-11
    "expecting-again": ((date(2024, 3, 1),), (date(2026, 5, 1),)),
    "big-and-small": ((date(2022, 1, 1), date(2025, 3, 11)), ()),  # youngest counts
    "three": ((date(2022, 12, 1),), ()),
    "school": ((date(2020, 1, 1),), ()),
}


def play_park(audience: Audience) -> Consultation:
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    return replace(consultation, audience=audience)


def add_household(
    container: Container, code: str, children: tuple[tuple[date, ...], tuple[date, ...]] = ((), ())
) -> int:
    """A Feltham family on Telegram, agreed to the notice, with these children."""
    born, due = children
    with transaction(container.sessions) as session:
        contact = Contact(
            code=code,
            community_id="feltham",
            language="en",
            status="active",
            consent_version=NOTICE,
            created_at=FIXED_NOW,
            updated_at=FIXED_NOW,
        )
        session.add(contact)
        session.flush()
        session.add(
            ContactIdentity(
                contact_id=contact.id,
                channel="telegram",
                address=f"70090{len(code):02d}{sum(map(ord, code))}",
                created_at=FIXED_NOW,
            )
        )
        kids = [(b, None) for b in born] + [(None, d) for d in due]
        for birth, expected in kids:
            session.add(
                Child(
                    contact_id=contact.id,
                    birth_date=birth,
                    due_date=expected,
                    created_at=FIXED_NOW,
                    updated_at=FIXED_NOW,
                )
            )
        return contact.id


def invites(container: Container, consultation_id: str = "play-park") -> dict[str, tuple[str, str]]:
    """code: (age band, status) of every invite."""
    with transaction(container.sessions) as session:
        rows = session.execute(
            select(Contact.code, ConsultationInvite.age_band, ConsultationInvite.status)
            .join(Contact, Contact.id == ConsultationInvite.contact_id)
            .where(ConsultationInvite.consultation_id == consultation_id)
        )
        return {code: (band, status) for code, band, status in rows}


def test_the_age_band_is_the_youngest_childs_and_a_birth_outranks_a_pregnancy(
    container: Container,
) -> None:
    for code, children in HOUSEHOLDS.items():
        add_household(container, code, children)
    launch(container, play_park(Audience(community="feltham")))
    bands = {code: band for code, (band, _status) in invites(container).items()}
    assert bands == {
        "none": "none",
        "expecting": "pregnancy",
        "baby": "0-11m",
        "one-today": "12-23m",
        "expecting-again": "24-35m",
        "big-and-small": "0-11m",
        "three": "36-47m",
        "school": "60m+",
    }


def test_an_age_range_counts_whole_months_of_any_child_born(container: Container) -> None:
    for code, children in HOUSEHOLDS.items():
        add_household(container, code, children)
    planned = launch(container, play_park(Audience(community="feltham", child_age_months=(0, 11))))
    assert planned.recipients == 2
    assert set(invites(container)) == {"baby", "big-and-small"}


def test_each_parent_gets_the_intro_then_the_question_once(container: Container) -> None:
    ids = [add_household(container, f"p{n}", ((date(2025, 1, n + 1),), ())) for n in range(12)]
    launch(container, play_park(Audience(community="feltham")))
    launch(container, replace(play_park(Audience(community="feltham")), id="play-park-2"))
    with transaction(container.sessions) as session:
        rows = session.execute(
            select(Outbox.contact_id, Outbox.dedupe_key).order_by(Outbox.id)
        ).all()
        states = session.scalars(select(ConversationState)).all()
    for contact_id in ids:
        keys = [key for contact, key in rows if contact == contact_id]
        # The second consultation waits: the first is asked and not finished.
        assert keys == [f"c:play-park:intro:0:{contact_id}", f"c:play-park:intro:1:{contact_id}"]
    assert {(s.flow, s.step, s.data["c"]) for s in states} == {
        ("consultation", "uses", "play-park")
    }
    assert set(invites(container, "play-park-2").values()) == {("12-23m", "pending")}


def test_a_parent_yet_to_agree_or_busy_elsewhere_waits_idle(container: Container) -> None:
    ready = add_household(container, "ready")
    unagreed = add_household(container, "unagreed")
    busy = add_household(container, "busy")
    with transaction(container.sessions) as session:
        session.get_one(Contact, unagreed).consent_version = "2025-01"
        session.add(
            ConsultationRow(
                id="earlier",
                definition={},
                status="closed",
                launch_at=FIXED_NOW,
                created_at=FIXED_NOW,
                updated_at=FIXED_NOW,
            )
        )
        session.flush()
        session.add(
            ConsultationInvite(
                consultation_id="earlier",
                contact_id=busy,
                community_id="feltham",
                language="en",
                channel="telegram",
                age_band="none",
                status="started",
                invited_at=FIXED_NOW,
            )
        )
    launch(container, play_park(Audience(community="feltham")))
    assert invites(container) == {
        "ready": ("none", "asked"),
        "unagreed": ("none", "pending"),
        "busy": ("none", "pending"),
    }
    with transaction(container.sessions) as session:
        states = {s.contact_id: s for s in session.scalars(select(ConversationState))}
        queued = {c for c in session.scalars(select(Outbox.contact_id))}
    assert queued == {ready}
    assert states[ready].flow == "consultation"
    assert (states[unagreed].flow, states[busy].flow) == (None, None)  # a row, idle
    assert states[busy].updated_at == datetime.fromisoformat("2026-03-10T10:00:00+00:00")
