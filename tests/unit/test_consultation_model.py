"""The consultation model: skip logic, languages, JSON round trips and ISO 8601 durations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.consultation_yaml import load
from conversations.consultations.model import (
    Audience,
    Consultation,
    Option,
    Question,
    format_duration,
    parse_duration,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "consultations" / "play-park.yaml"


def _t(en: str, cy: str | None = None) -> dict[str, str]:
    return {"en": en, "cy": cy or f"{en} (cy)"}


def _poll() -> Consultation:
    """uses: yes -> often, no -> why; often jumps to help; help (multi) may end early."""
    questions = (
        Question(
            "uses",
            "choice",
            _t("Use it?"),
            (Option("yes", _t("Yes"), "often"), Option("no", _t("No"), "why")),
        ),
        Question("often", "choice", _t("How often?"), (Option("a", _t("A")),), next="help"),
        Question("why", "text", _t("Why not?"), optional=True),
        Question(
            "help",
            "multi",
            _t("What helps?"),
            (
                Option("shade", _t("Shade")),
                Option("none", _t("Nothing"), "end"),
                Option("swings", _t("Swings"), "rating"),
                Option("toilets", _t("Toilets"), "count"),
            ),
        ),
        Question(
            "rating",
            "scale",
            _t("Rate it"),
            min=1,
            max=5,
            labels={"low": _t("Bad"), "high": _t("Good")},
        ),
        Question("count", "number", _t("How many?"), min=0, max=10),
        Question("again", "yesno", _t("Again?")),
    )
    return Consultation(
        id="park",
        title=_t("Park"),
        intro=_t("Hello"),
        questions=questions,
        audience=Audience("bettws", "cy", "sms", (0, 60)),
        opens_at=datetime(2027, 3, 1, 9, tzinfo=UTC),
        closes_at=datetime(2027, 3, 31, 17, tzinfo=timezone(timedelta(hours=1))),
        reminders=(timedelta(days=2), timedelta(hours=6)),
    )


def _next_id(poll: Consultation, qid: str, *options: str) -> str | None:
    found = poll.next_after(poll.question(qid), options)
    return found.id if found else None


def test_first_and_lookup() -> None:
    poll = _poll()
    assert poll.first().id == "uses"
    assert poll.question("count").type == "number"
    with pytest.raises(KeyError):
        poll.question("missing")
    with pytest.raises(KeyError):
        poll.next_after(Question("stranger", "text", _t("Who?")))


def test_an_options_next_is_skip_logic() -> None:
    poll = _poll()
    assert _next_id(poll, "uses", "yes") == "often"
    assert _next_id(poll, "uses", "no") == "why"


def test_a_questions_own_next_applies_when_no_option_has_one() -> None:
    assert _next_id(_poll(), "often", "a") == "help"


def test_otherwise_the_following_question_and_none_after_the_last() -> None:
    poll = _poll()
    assert _next_id(poll, "why") == "help"
    assert _next_id(poll, "rating", "4") == "count"
    assert _next_id(poll, "again", "yes") is None


def test_no_option_chosen_falls_through_to_the_following_question() -> None:
    assert _next_id(_poll(), "uses") == "often"  # the following question, not a jump


def test_several_chosen_options_go_to_the_earliest_target_and_end_is_last() -> None:
    poll = _poll()
    assert _next_id(poll, "help", "shade") == "rating"
    assert _next_id(poll, "help", "none") is None
    assert _next_id(poll, "help", "toilets", "none") == "count"
    assert _next_id(poll, "help", "toilets", "swings") == "rating"


def test_languages_are_those_in_every_text_english_first() -> None:
    poll = _poll()
    assert poll.languages() == ("en", "cy")
    labels = {"low": {"en": "Bad"}, "high": _t("Good")}
    rating = Question("rating", "scale", _t("Rate"), labels=labels)
    assert Consultation("p", _t("T"), _t("I"), (rating,)).languages() == ("en",)
    polish = Consultation("p", {"pl": "T", "cy": "T"}, {"cy": "I", "pl": "I"}, ())
    assert polish.languages() == ("cy", "pl")


def test_json_round_trip_keeps_everything() -> None:
    poll = _poll()
    data = json.loads(json.dumps(poll.to_json()))
    assert data["opens_at"] == "2027-03-01T09:00:00+00:00"
    assert data["closes_at"] == "2027-03-31T17:00:00+01:00"
    assert data["reminders"] == ["P2D", "PT6H"]
    assert data["audience"]["child_age_months"] == [0, 60]
    again = Consultation.from_json(data)
    assert again == poll
    assert again.closes_at is not None and again.closes_at.utcoffset() == timedelta(hours=1)


def test_json_round_trip_of_a_bare_consultation_and_the_example() -> None:
    bare = Consultation("p", _t("T"), _t("I"), (Question("q", "date", _t("When?")),))
    assert Consultation.from_json(json.loads(json.dumps(bare.to_json()))) == bare
    example, problems = load(EXAMPLE)
    assert problems == [] and example is not None
    assert Consultation.from_json(json.loads(json.dumps(example.to_json()))) == example


def test_from_json_refuses_an_unknown_question_type() -> None:
    data = _poll().to_json()
    data["questions"][0]["type"] = "ranking"
    with pytest.raises(ValueError, match="ranking"):
        Consultation.from_json(data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P1D", timedelta(days=1)),
        ("P2D", timedelta(days=2)),
        ("PT2H", timedelta(hours=2)),
        ("PT6H", timedelta(hours=6)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        ("PT30M", timedelta(minutes=30)),
        ("PT1H30M", timedelta(hours=1, minutes=30)),
        ("PT45S", timedelta(seconds=45)),
        ("P1W", timedelta(weeks=1)),
        ("P0D", timedelta(0)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "P",
        "PT",
        "P1DT",
        "2D",
        "p1d",
        "P1.5D",
        "P-1D",
        "P1M",  # months have no fixed length
        "P1Y",
        "P1W2D",
        "PT1H ",
        " P1D",
        "P1D\n",
        "P\u0661D",  # an Arabic-Indic digit
        "P99999999999999D",
        "2 days",
    ],
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(days=2), "P2D"),
        (timedelta(hours=6), "PT6H"),
        (timedelta(days=1, hours=12), "P1DT12H"),
        (timedelta(minutes=30), "PT30M"),
        (timedelta(weeks=1), "P7D"),
        (timedelta(0), "PT0S"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


def test_format_duration_refuses_negative() -> None:
    with pytest.raises(ValueError):
        format_duration(timedelta(hours=-1))


@given(st.text(alphabet=st.sampled_from("PTWDHMS0123456789.-+ \u0661x"), max_size=20) | st.text())
def test_parse_duration_only_ever_raises_value_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except ValueError:
        return
    assert result >= timedelta(0)
    assert parse_duration(format_duration(result)) == result


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10_000)))
def test_format_then_parse_is_the_identity(delta: timedelta) -> None:
    delta -= timedelta(microseconds=delta.microseconds)
    assert parse_duration(format_duration(delta)) == delta
