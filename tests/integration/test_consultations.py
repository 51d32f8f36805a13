"""A bilingual consultation with skip logic, launched to a segmented audience and answered.

Families join through the real service, the consultation goes out through the launch
service, answers arrive over SMS and Telegram, and the clock (`run_pass`, what `tick --at`
runs) sends reminders and closes it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.chat import TerminalChat
from bot.clock import run_pass
from bot.consultation_yaml import load
from bot.consultations import LaunchRefused, launch, plan
from bot.container import Container, build, prepare_database
from bot.inbound import InboundService
from conversations.consultations.model import Consultation
from conversations.types import Channel
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.consultation_results import results
from storage.db import transaction
from storage.models import ContactIdentity, Outbox
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday morning


class World:
    """A database, a movable clock, and parents who talk to the bot through the real service."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.now = START
        self.service = InboundService(container.sessions, container.engine, lambda: self.now)
        self.chats: dict[str, TerminalChat] = {}

    def chat(self, channel: Channel, address: str) -> TerminalChat:
        if address not in self.chats:
            self.chats[address] = TerminalChat(self.service, channel, address, lambda: self.now)
        return self.chats[address]

    def say(self, address: str, *lines: str) -> list[str]:
        """Send each line; return everything the bot answered to the last one."""
        answers: list[str] = []
        for line in lines:
            answers = self.chats[address].send(line)
        return answers

    def join(self, channel: Channel, address: str, *script: str) -> None:
        self.chat(channel, address)
        self.say(address, *script)

    def tick(self, at: datetime) -> dict[str, int]:
        self.now = at
        self.container.clock = lambda: at
        return run_pass(self.container, at)

    def contact_id(self, address: str) -> int:
        with transaction(self.container.sessions) as session:
            return session.scalars(
                select(ContactIdentity.contact_id).where(ContactIdentity.address == address)
            ).one()

    def answers(self, address: str) -> dict[str, str | None]:
        with transaction(self.container.sessions) as session:
            rows = session.scalars(
                select(ConsultationAnswer).where(
                    ConsultationAnswer.contact_id == self.contact_id(address)
                )
            ).all()
            return {row.question_id: row.value for row in rows}

    def invite(self, address: str) -> ConsultationInvite | None:
        with transaction(self.container.sessions) as session:
            return session.scalars(
                select(ConsultationInvite).where(
                    ConsultationInvite.contact_id == self.contact_id(address)
                )
            ).one_or_none()

    def outbox(self, address: str, key_part: str) -> list[Outbox]:
        with transaction(self.container.sessions) as session:
            return list(
                session.scalars(
                    select(Outbox)
                    .where(
                        Outbox.contact_id == self.contact_id(address),
                        Outbox.dedupe_key.contains(key_part),
                    )
                    .order_by(Outbox.id)
                )
            )


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    built = build(make_settings(database_url, tmp_path), clock=lambda: START)
    prepare_database(built)
    yield World(built)
    built.close()


def play_park(**changes: object) -> Consultation:
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    return replace(consultation, **changes)  # type: ignore[arg-type]


WELSH_SMS = "+447700900501"
ENGLISH_TELEGRAM = "700900502"
ENGLISH_SMS = "+447700900503"
FELTHAM = "+447700900504"
EXPECTING = "+447700900505"
BUSY = "+447700900506"
SILENT = "+447700900507"
LATE = "+447700900508"


def populate(world: World) -> None:
    """Bettws families inside and outside the audience, and one in Feltham."""
    world.join(Channel.SMS, WELSH_SMS, "bettws", "1", "1", "2", "12/6/2025", "hepgor", "2", "1")
    world.join(
        Channel.TELEGRAM, ENGLISH_TELEGRAM, "/start bettws", "2", "1", "2", "1/2/2024", "Sam",
        "2", "1",
    )  # fmt: skip
    world.join(Channel.SMS, ENGLISH_SMS, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    world.join(Channel.SMS, FELTHAM, "feltham", "1", "2", "3/1/2025", "skip", "2", "1")
    world.join(Channel.SMS, EXPECTING, "bettws", "2", "1", "1", "20/8/2026", "skip", "2", "1")
    world.join(Channel.SMS, BUSY, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1")
    world.join(Channel.SMS, SILENT, "bettws", "2", "1", "2", "3/3/2025", "skip", "2", "1")


def test_launch_reaches_the_segment_and_says_what_it_costs(world: World) -> None:
    populate(world)
    planned = plan(world.container, play_park(), None)
    groups = {(g.language, g.channel): g for g in planned.groups}
    # Feltham is another community; a pregnancy has no child aged 0-60 months yet.
    assert planned.recipients == 5
    assert groups[("cy", "sms")].recipients == 1
    assert groups[("en", "telegram")].segments_each == 0
    assert groups[("cy", "sms")].segments_each >= groups[("en", "sms")].segments_each > 1
    assert planned.sms_segments == sum(g.recipients * g.segments_each for g in planned.groups)
    assert "Welsh on sms: 1" in "\n".join(planned.summary())


def test_launch_is_refused_while_an_audience_language_lacks_its_text(world: World) -> None:
    populate(world)
    english_only = play_park(title={"en": "What would make the play park better?"})
    with pytest.raises(LaunchRefused, match=r"Welsh \(cy\)"):
        launch(world.container, english_only)
    with pytest.raises(LaunchRefused, match="closes_at"):
        launch(world.container, play_park(closes_at=START - timedelta(days=1)))


def test_a_bilingual_consultation_answered_over_both_channels(world: World) -> None:
    populate(world)
    world.say(BUSY, "TIPS")  # in the middle of choosing a tip day when it launches
    launch(world.container, play_park())

    assert [m.message["locales"] for m in world.outbox(WELSH_SMS, "intro")] == [["cy"], ["cy"]]
    assert world.outbox(FELTHAM, "intro") == [] and world.outbox(EXPECTING, "intro") == []
    assert world.outbox(BUSY, "intro") == []  # not interleaved with the tip-day question
    assert world.invite(BUSY).status == "pending"  # type: ignore[union-attr]

    # Welsh on SMS: numbers, Welsh words and free text as written.
    last = world.say(WELSH_SMS, "1", "2", "1,3", "4", "dau", "Mwy o feinciau, plis!", "ie")
    assert "Diolch" in last[-1]
    assert world.answers(WELSH_SMS) == {
        "uses": "yes",
        "how-often": "weekly",
        "help": "shade,toilets",
        "safety": "4",
        "children": "2",
        "ideas": "Mwy o feinciau, plis!",
        "follow-up": "yes",
    }
    # English on Telegram, by buttons: "No" jumps to why-not, skipping how-often.
    shown = world.chats[ENGLISH_TELEGRAM].flush()  # the intro and first question arrive
    assert "Do you use the play park" in shown[-1] and "[2] No" in shown[-1]
    assert "What stops you" in world.say(ENGLISH_TELEGRAM, "2")[-1]  # No
    world.say(ENGLISH_TELEGRAM, "3")  # I don't feel safe there
    world.say(ENGLISH_TELEGRAM, "1", "3", "7")  # shade, toilets, Done
    world.say(ENGLISH_TELEGRAM, "2", "1", "1", "2")  # safety 2; 1 child; Skip; follow-up No
    assert world.answers(ENGLISH_TELEGRAM) == {
        "uses": "no",
        "why-not": "unsafe",
        "help": "shade,toilets",
        "safety": "2",
        "children": "1",
        "ideas": None,
        "follow-up": "no",
    }
    # The same answers typed on SMS are stored identically (channel parity).
    world.say(ENGLISH_SMS, "No", "3", "1 and 3", "two", "1", "SKIP", "no")
    assert world.answers(ENGLISH_SMS) == world.answers(ENGLISH_TELEGRAM)

    # The busy parent gets the consultation once the tip-day conversation ends.
    after = world.say(BUSY, "1", "1")
    assert any("play park" in text for text in after)
    assert world.invite(BUSY).status == "asked"  # type: ignore[union-attr]

    # STOP mid-consultation: never stored as an answer.
    world.say(BUSY, "STOP")
    assert world.answers(BUSY) == {}

    with transaction(world.container.sessions) as session:
        summary = results(session, "play-park", threshold=1)
        suppressed = results(session, "play-park")
    assert (summary.invited, summary.started, summary.finished) == (5, 3, 3)
    uses = next(q for q in summary.questions if q.id == "uses")
    assert {c.key: c.count for c in uses.counts} == {"yes": 1, "no": 2}
    uses = next(q for q in suppressed.questions if q.id == "uses")
    assert all(c.count is None for c in uses.counts)  # every group is under 5 people


def test_reminders_go_to_those_who_have_not_finished_twice_at_most_then_it_closes(
    world: World,
) -> None:
    populate(world)
    launch(world.container, play_park(reminders=(timedelta(days=2), timedelta(days=5))))
    world.say(WELSH_SMS, "1", "2", "1,3", "4", "dau", "hepgor", "ie")  # finished
    world.say(SILENT, "1")  # started, then silent

    assert world.tick(START + timedelta(days=1))["consultations"] == 0
    world.tick(START + timedelta(days=2, hours=1))
    world.tick(START + timedelta(days=2, hours=1))  # a second clock: nothing twice
    assert len(world.outbox(SILENT, "reminder1")) == 1
    assert world.outbox(WELSH_SMS, "reminder1") == []  # finished: never reminded
    reminder = world.outbox(SILENT, "reminder1")[0].message["text"]
    assert "How often do you go?" in reminder  # where the parent left off

    world.tick(START + timedelta(days=5, hours=1))
    world.tick(START + timedelta(days=9))
    assert len(world.outbox(SILENT, "reminder")) == 2  # at most two
    assert all(m.expires_at is not None for m in world.outbox(SILENT, "reminder"))

    world.tick(datetime(2027, 3, 31, 17, 0, tzinfo=UTC))  # closes_at has passed
    late = world.say(SILENT, "1")
    assert "closed" in late[-1]
    assert world.answers(SILENT) == {"uses": "yes"}


def test_a_parent_who_joins_while_it_is_open_is_asked_once_set_up(world: World) -> None:
    populate(world)
    launch(world.container, play_park())
    answers = world.chat(Channel.SMS, LATE)
    replies = [answers.send(line) for line in ("bettws", "2", "1", "2", "1/9/2025", "skip", "2")]
    assert replies
    finished = world.say(LATE, "1")
    assert any("play park" in text for text in finished)
    assert world.invite(LATE).status == "asked"  # type: ignore[union-attr]


def test_a_scheduled_launch_waits_for_the_clock(world: World) -> None:
    populate(world)
    planned = launch(world.container, play_park(), at=START + timedelta(hours=3))
    assert planned.launch_at == START + timedelta(hours=3)
    assert world.outbox(WELSH_SMS, "intro") == []
    world.tick(START + timedelta(hours=2))
    assert world.outbox(WELSH_SMS, "intro") == []
    world.tick(START + timedelta(hours=3))
    world.tick(START + timedelta(hours=3, minutes=1))
    assert len(world.outbox(WELSH_SMS, "intro")) == 2  # intro and first question, once
