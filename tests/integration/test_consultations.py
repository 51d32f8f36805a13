"""A bilingual consultation with skip logic, launched to a segmented audience and answered.

Families join through the real service, the consultation goes out through the launch
service, answers arrive over SMS and Telegram, and the clock (`run_pass`, what `tick --at`
runs) sends reminders and closes it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.consultation_yaml import load
from bot.consultations import LaunchRefused, launch, plan
from conversations.consultations.model import Consultation
from conversations.types import Channel
from storage.consultation_results import results
from storage.db import transaction
from tests.integration.world import (
    BUSY,
    ENGLISH_SMS,
    ENGLISH_TELEGRAM,
    EXPECTING,
    FELTHAM,
    LATE,
    SILENT,
    START,
    WELSH_SMS,
    World,
    populate,
)

ROOT = Path(__file__).resolve().parents[2]


def play_park(**changes: object) -> Consultation:
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    return replace(consultation, **changes)  # type: ignore[arg-type]


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


def test_simulated_parents_are_left_out_of_results(world: World) -> None:
    populate(world)
    simulated = "+447700900509"
    world.join(Channel.SMS, simulated, "bettws", "2", "1", "2", "3/3/2025", "skip", "2", "1",
               real=False)  # fmt: skip
    planned = launch(world.container, play_park())
    assert planned.recipients == 5  # nor costed: its messages never leave the building
    assert world.invite(simulated) is not None  # but asked, so staff can try it out
    world.say(WELSH_SMS, "1")
    world.say(simulated, "1")
    with transaction(world.container.sessions) as session:
        summary = results(session, "play-park", threshold=1)
    assert (summary.invited, summary.started) == (5, 1)  # the simulated parent is not counted
    uses = next(q for q in summary.questions if q.id == "uses")
    assert {c.key: c.count for c in uses.counts} == {"yes": 1, "no": 0}
