"""The event model: JSON round trips, languages, local date texts and RSVP button data."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.event_yaml import load
from conversations.consultations.checks import ID
from conversations.consultations.model import Audience
from conversations.events.model import (
    CALLBACK_BYTES,
    DEFAULT_REMINDERS,
    RSVP_ANSWERS,
    Event,
    Rsvp,
    audience_from_json,
    audience_to_json,
    parse_rsvp,
    pick,
    rsvp_data,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "events" / "rhyme-time.yaml"
GMT, BST = UTC, timezone(timedelta(hours=1))


BASE = Event(
    id="rhyme",
    title={"en": "Rhyme time", "cy": "Amser rhigwm"},
    description={"en": "Songs and rhymes", "cy": "Caneuon a rhigymau"},
    starts_at=datetime(2027, 3, 9, 10, tzinfo=GMT),
    ends_at=datetime(2027, 3, 9, 11, 30, tzinfo=GMT),
    venue={"en": "Bettws Library", "cy": "Llyfrgell Bettws"},
    community="bettws",
    capacity=12,
    audience=Audience("bettws", "cy", "telegram", (0, 48)),
    reminders=(timedelta(days=2), timedelta(hours=1)),
)


def test_json_round_trip_keeps_everything() -> None:
    event = replace(BASE, starts_at=datetime(2027, 7, 6, 10, tzinfo=BST))
    data = json.loads(json.dumps(event.to_json()))
    assert data["starts_at"] == "2027-07-06T10:00:00+01:00"
    assert data["reminders"] == ["P2D", "PT1H"]
    assert data["audience"] == {
        "community": "bettws",
        "language": "cy",
        "channel": "telegram",
        "child_age_months": [0, 48],
    }
    again = Event.from_json(data)
    assert again == event
    assert again.starts_at.utcoffset() == timedelta(hours=1)


def test_json_round_trip_of_the_defaults() -> None:
    event = Event(
        "e", {"en": "T"}, {"en": "D"}, BASE.starts_at, BASE.ends_at, {"en": "V"}, "margate"
    )
    assert (event.capacity, event.audience, event.reminders) == (
        None,
        Audience("margate"),
        DEFAULT_REMINDERS,
    )
    data = json.loads(json.dumps(event.to_json()))
    assert data["capacity"] is None and data["reminders"] == ["P1D", "PT2H"]
    assert Event.from_json(data) == event
    del data["reminders"], data["audience"]
    assert Event.from_json(data) == event
    assert Event.from_json({**data, "reminders": []}).reminders == ()


def test_the_audience_is_always_in_the_events_community() -> None:
    assert replace(BASE, audience=Audience(channel="sms")).audience == Audience(
        "bettws", None, "sms"
    )
    with pytest.raises(ValueError, match="an event in bettws has its audience there too"):
        replace(BASE, audience=Audience("feltham"))


def test_audience_json_with_nothing_set() -> None:
    assert audience_to_json(Audience())["child_age_months"] is None
    assert audience_from_json({}) == Audience()
    assert audience_from_json(audience_to_json(Audience(channel="sms"))) == Audience(channel="sms")


def test_languages_are_those_in_every_text_english_first() -> None:
    assert BASE.languages() == ("en", "cy")
    assert replace(BASE, venue={"en": "Library"}).languages() == ("en",)
    polish = {"pl": "x", "cy": "y"}
    assert replace(BASE, title=polish, description=polish, venue=polish).languages() == ("cy", "pl")


def test_pick_falls_back_to_english_then_any() -> None:
    assert pick({"en": "Hello", "cy": "Helo"}, "cy") == "Helo"
    assert pick({"en": "Hello"}, "cy") == "Hello"
    assert pick({"pl": "Cześć"}, "cy") == "Cześć"
    assert pick({}, "cy") == ""


def test_reminder_times_are_earliest_first() -> None:
    event = replace(BASE, reminders=(timedelta(hours=1), timedelta(days=2)))
    assert event.reminder_times() == (
        datetime(2027, 3, 7, 10, tzinfo=GMT),
        datetime(2027, 3, 9, 9, tzinfo=GMT),
    )
    assert replace(BASE, reminders=()).reminder_times() == ()


def test_when_text_in_english_and_welsh() -> None:
    event = BASE
    assert event.when_text("en") == "Tuesday 9 March, 10:00–11:30"
    assert event.when_text("cy") == "Dydd Mawrth 9 Mawrth, 10:00–11:30"
    assert event.when_text("en", with_year=True) == "Tuesday 9 March 2027, 10:00–11:30"
    assert event.when_text("cy", with_year=True) == "Dydd Mawrth 9 Mawrth 2027, 10:00–11:30"


def test_when_text_is_in_london_time_whatever_the_offset_given() -> None:
    summer = replace(
        BASE,
        starts_at=datetime(2027, 7, 6, 9, tzinfo=UTC),
        ends_at=datetime(2027, 7, 6, 10, tzinfo=UTC),
    )
    assert summer.when_text("en") == "Tuesday 6 July, 10:00–11:00"
    assert summer.when_text("en", zone=UTC) == "Tuesday 6 July, 09:00–10:00"


def test_when_text_over_midnight_and_the_october_clock_change() -> None:
    event = replace(
        BASE,
        starts_at=datetime(2027, 10, 30, 22, tzinfo=BST),
        ends_at=datetime(2027, 10, 31, 1, 30, tzinfo=GMT),  # 3.5 hours later: the clocks go back
    )
    assert event.when_text("en") == "Saturday 30 October, 22:00 – Sunday 31 October, 01:30"
    assert event.when_text("cy") == "Dydd Sadwrn 30 Hydref, 22:00 – Dydd Sul 31 Hydref, 01:30"


def test_the_example_is_a_bettws_rhyme_time() -> None:
    event, problems = load(EXAMPLE)
    assert problems == [] and event is not None
    assert (event.community, event.capacity, event.reminders) == ("bettws", 12, DEFAULT_REMINDERS)
    assert event.audience == Audience(community="bettws", child_age_months=(0, 48))
    assert event.languages() == ("en", "cy")
    assert event.when_text("cy") == "Dydd Mawrth 9 Mawrth, 10:00–10:45"
    assert pick(event.venue, "cy") == "Llyfrgell Bettws, Casnewydd"


def test_rsvp_button_data() -> None:
    assert RSVP_ANSWERS == ("yes", "maybe", "no")
    assert rsvp_data("rhyme", "maybe") == "e:rhyme:maybe"
    assert parse_rsvp("e:rhyme:maybe") == ("rhyme", "maybe")
    for other in ("c:poll:q1:a", "e:rhyme:perhaps", "e::yes", "e:yes", "", "rhyme"):
        assert parse_rsvp(other) is None


def test_the_longest_event_id_leaves_every_rsvp_button_within_64_bytes() -> None:
    longest = "x" * 48
    assert ID.fullmatch(longest) and not ID.fullmatch(longest + "x")
    data = rsvp_data(longest, "maybe")
    assert len(data.encode()) == 56 <= CALLBACK_BYTES


@given(st.from_regex(ID, fullmatch=True), st.sampled_from(RSVP_ANSWERS))
def test_rsvp_data_round_trips(event_id: str, answer: Rsvp) -> None:
    data = rsvp_data(event_id, answer)
    assert parse_rsvp(data) == (event_id, answer)
    assert len(data.encode()) <= CALLBACK_BYTES
