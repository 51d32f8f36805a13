"""Event YAML validation: every rule, with the exact line, through bot/event_yaml.

In the snippets, `#!` marks each line a problem must point at.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.event_yaml import load, load_text
from conversations.consultations.model import Audience
from conversations.events.model import DEFAULT_REMINDERS, Event
from conversations.events.validate import Problem, validate
from tests.unit.test_consultation_validate import DATA, _fake_lines, _no_lines

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "events"
GOOD = """\
id: rhyme
title: {en: Rhyme time, cy: Amser rhigwm}
description: {en: Songs and rhymes, cy: Caneuon a rhigymau}
starts_at: 2027-03-09T10:00:00+00:00
ends_at: 2027-03-09T11:00:00+00:00
venue: {en: Bettws Library, cy: Llyfrgell Bettws}
community: bettws
"""
Found = list[tuple[int | None, str, str]]


def _load(text: str, **options: Any) -> tuple[Event | None, Found]:
    event, problems = load_text(textwrap.dedent(text), **options)
    assert (event is None) == bool(problems)
    return event, [(p.line, p.path, p.message) for p in problems]


def _problems(text: str, **options: Any) -> Found:
    return _load(text, **options)[1]


def _marks(text: str) -> list[int]:
    lines = textwrap.dedent(text).splitlines()
    return [n for n, line in enumerate(lines, start=1) if "#!" in line]


def _with(line: str, text: str = GOOD) -> str:
    """GOOD with the line of the same key replaced by `line` (or `line` added at the end)."""
    key = line.split(":", 1)[0] + ":"
    kept = [old if not old.startswith(key) else line for old in text.splitlines()]
    if kept == text.splitlines():
        kept.append(line)
    return "\n".join(kept) + "\n"


def test_a_minimal_event_is_valid_with_default_reminders() -> None:
    event, problems = _load(GOOD)
    assert problems == [] and event is not None
    assert event.id == "rhyme" and event.community == "bettws"
    assert event.starts_at == datetime(2027, 3, 9, 10, tzinfo=UTC)
    assert (event.capacity, event.reminders) == (None, (timedelta(days=1), timedelta(hours=2)))
    assert event.audience == Audience(community="bettws")
    assert event.venue == {"en": "Bettws Library", "cy": "Llyfrgell Bettws"}


def test_missing_and_empty_required_keys() -> None:
    text = "# an event\nid: rhyme\ntitle:\nvenue: Library\n"
    assert _problems(text) == [
        (2, "description", "missing required key 'description'"),
        (2, "starts_at", "missing required key 'starts_at'"),
        (2, "ends_at", "missing required key 'ends_at'"),
        (2, "community", "missing required key 'community'"),
        (3, "title", "title is empty"),
    ]


def test_unknown_keys_at_every_level() -> None:
    text = GOOD + textwrap.dedent("""\
        colour: green  #!
        capcity: 12  #!
        audience:
          comunity: bettws  #!
        """)
    found = _problems(text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [(path, message) for _, path, message in found] == [
        ("colour", "unknown key 'colour'"),
        ("capcity", "unknown key 'capcity'; did you mean 'capacity'?"),
        ("audience.comunity", "unknown key 'comunity'; did you mean 'community'?"),
    ]


@pytest.mark.parametrize("bad", ["Rhyme", "rhyme time", "café", "-rhyme", "x" * 49, "''", "true"])
def test_id_format(bad: str) -> None:
    found = _problems(_with(f"id: {bad}"))
    assert len(found) == 1
    assert found[0][:2] == (1, "id")
    assert "is not a valid id: use 1-48 lower-case letters" in found[0][2]


def test_whole_number_ids_are_text_and_48_characters_fit_rsvp_buttons() -> None:
    event, _ = _load(_with("id: 2027"))
    assert event is not None and event.id == "2027"
    event, _ = _load(_with(f"id: {'x' * 48}"))
    assert event is not None  # e:<48>:maybe is 56 bytes, within Telegram's 64


def test_texts_are_mappings_with_every_language() -> None:
    text = textwrap.dedent("""\
        id: rhyme
        title: Just English  #!
        description:  #!
          cy: Caneuon
        starts_at: 2027-03-09T10:00:00+00:00
        ends_at: 2027-03-09T11:00:00+00:00
        venue: {en: Library, cy: ''}  #!
        community: bettws
        """)
    found = _problems(text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [(path, message) for _, path, message in found] == [
        ("title", "should be a mapping of language to text, like {en: ..., cy: ...}"),
        ("description", "missing English (en) text"),
        ("venue.cy", "the 'cy' text should be non-empty text"),
    ]


def test_other_languages_can_be_required() -> None:
    event, problems = _load(GOOD, languages=("en",))
    assert problems == [] and event is not None
    assert {str(p) for p in load_text(GOOD, languages=("en", "cy", "pl"))[1]} == {
        "line 2 (title): missing Polish (pl) text",
        "line 3 (description): missing Polish (pl) text",
        "line 6 (venue): missing Polish (pl) text",
    }


def test_a_plain_venue_is_the_same_in_every_language() -> None:
    event, _ = _load(_with("venue: Bettws Library"))
    assert event is not None and event.venue == {"en": "Bettws Library", "cy": "Bettws Library"}
    event, _ = _load(_with("venue: Bettws Library"), languages=("cy",))
    assert event is not None and event.venue == {"cy": "Bettws Library"}
    for empty in ("venue: ''", "venue: '  '"):
        message = "should be non-empty text, or a mapping of language to text"
        assert _problems(_with(empty)) == [(6, "venue", message)]
    assert _problems(_with("venue: 12")) == [
        (6, "venue", "should be a mapping of language to text, like {en: ..., cy: ...}")
    ]


def test_times_need_an_offset_and_end_after_the_start() -> None:
    example = "like 2027-03-01T09:00:00+00:00"
    cases = {
        "starts_at: 2027-03-09 10:00:00": f"needs a UTC offset (+01:00, or Z for UTC), {example}",
        "starts_at: 2027-03-09": f"needs a time and a UTC offset, {example}",
        "starts_at: next tuesday": f"'next tuesday' is not an ISO 8601 date and time, {example}",
        "starts_at: 20270309": f"should be a date and time, {example}",
        "starts_at: 2027-02-30T09:00:00Z": "'2027-02-30T09:00:00Z' is not a real date: "
        "day is out of range for month",
    }
    for line, message in cases.items():
        assert _problems(_with(line)) == [(4, "starts_at", message)]
    assert _problems(_with("ends_at: 2027-03-09T10:00:00Z")) == [
        (5, "ends_at", "ends_at should be after starts_at")
    ]
    event, _ = _load(_with("starts_at: '2027-03-09T09:00:00Z'"))
    assert event is not None and event.starts_at == datetime(2027, 3, 9, 9, tzinfo=UTC)


def test_offsets_must_be_londons_on_the_day() -> None:
    summer = "starts_at: 2027-07-06T10:00:00+01:00\nends_at: 2027-07-06T11:00:00+01:00\n"
    event, problems = _load(GOOD.split("starts_at")[0] + summer + "venue: Library\ncommunity: x\n")
    assert problems == [] and event is not None
    assert event.starts_at.utcoffset() == timedelta(hours=1)
    wrong = summer.replace("10:00:00+01:00", "10:00:00Z")
    assert _problems(GOOD.split("starts_at")[0] + wrong + "venue: Library\ncommunity: x\n") == [
        (
            4,
            "starts_at",
            "the UTC offset +00:00 is not London's on 2027-07-06 (+01:00): for 10:00 London time"
            " write 2027-07-06T10:00:00+01:00",
        )
    ]
    assert _problems(_with("ends_at: 2027-03-09T11:00:00+01:00")) == [
        (
            5,
            "ends_at",
            "the UTC offset +01:00 is not London's on 2027-03-09 (+00:00): for 11:00 London time"
            " write 2027-03-09T11:00:00+00:00",
        )
    ]


def test_both_offsets_of_the_repeated_hour_in_october_are_londons() -> None:
    text = _with("starts_at: 2027-10-31T01:30:00+01:00")
    for ends in ("2027-10-31T01:15:00+00:00", "2027-10-31T01:45:00+00:00"):
        event, problems = _load(_with(f"ends_at: {ends}", text))
        assert problems == [] and event is not None
        assert event.ends_at - event.starts_at in (timedelta(minutes=45), timedelta(minutes=75))


def test_the_hour_skipped_in_march_does_not_exist() -> None:
    text = _with(
        "starts_at: 2027-03-28T01:30:00+00:00", _with("ends_at: 2027-03-28T04:00:00+01:00")
    )
    assert _problems(text) == [(4, "starts_at", "there is no 01:30 in London on 2027-03-28")]


def test_community_is_an_id_and_one_of_those_known() -> None:
    assert _problems(_with("community: Bettws Estate")) == [
        (7, "community", "'Bettws Estate' is not a community id like bettws")
    ]
    known = ("bettws", "feltham")
    assert _problems(GOOD, communities=known) == []
    assert _problems(_with("community: betws"), communities=known) == [
        (7, "community", "'betws' is not a community here; did you mean 'bettws'?")
    ]
    assert _problems(_with("community: margate"), communities=known) == [
        (7, "community", "'margate' is not a community here")
    ]


@pytest.mark.parametrize("bad", ["0", "-3", "1.5", "'12'", "true", "[12]"])
def test_capacity_is_a_positive_whole_number(bad: str) -> None:
    found = _problems(_with(f"capacity: {bad}"))
    assert [(line, path) for line, path, _ in found] == [(8, "capacity")]
    assert found[0][2].endswith("should be a whole number of places, at least 1")


def test_capacity_may_be_given_or_left_out() -> None:
    event, _ = _load(_with("capacity: 12"))
    assert event is not None and event.capacity == 12
    event, _ = _load(_with("capacity:"))
    assert event is not None and event.capacity is None


def test_audience_filters_and_the_events_own_community() -> None:
    good = "audience: {language: cy, channel: sms, child_age_months: [0, 48]}"
    event, problems = _load(_with(good))
    assert problems == [] and event is not None
    assert event.audience == Audience("bettws", "cy", "sms", (0, 48))
    event, _ = _load(_with("audience: {community: bettws}"))
    assert event is not None and event.audience == Audience("bettws")
    text = GOOD + textwrap.dedent("""\
        audience:
          community: feltham  #!
          language: fr  #!
          channel: whatsapp  #!
          child_age_months: [24, 12]  #!
        """)
    found = _problems(text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [message for _, _, message in found] == [
        "'feltham' is not the event's community 'bettws': leave it out, the event's community is"
        " its audience",
        "'fr' is not one of en, cy",
        "'whatsapp' is not one of sms, telegram",
        "[24, 12] should have 0 <= min <= max <= 72",
    ]
    bad_community = _with("community: Bettws Estate", _with("audience: {community: feltham}"))
    assert [path for _, path, _ in _problems(bad_community)] == ["community"]
    message = "should be a mapping with community, language, channel, child_age_months"
    assert _problems(_with("audience: everyone")) == [(8, "audience", message)]


def test_reminders() -> None:
    event, _ = _load(_with("reminders: [PT1H, P2D, PT30M]"))
    assert event is not None  # kept longest first: the order they are sent in
    assert event.reminders == (timedelta(days=2), timedelta(hours=1), timedelta(minutes=30))
    event, _ = _load(_with("reminders: []"))
    assert event is not None and event.reminders == ()
    event, _ = _load(_with("reminders:"))
    assert event is not None and event.reminders == DEFAULT_REMINDERS
    text = GOOD + textwrap.dedent("""\
        reminders:  #!
          - P1D
          - PT0S  #!
          - an hour before  #!
          - PT24H  #!
          - P1D  #!
          - P9W  #!
        """)
    found = _problems(text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [message for _, _, message in found] == [
        "at most 3 reminders, not 6",
        "'PT0S' should be longer than zero",
        "'an hour before' is not an ISO 8601 duration like P2D or PT6H",
        "'PT24H' is the same as 'P1D'",
        "'P1D' is there twice",
        "'P9W' is too early: at most P8W (8 weeks) before the start",
    ]
    assert _problems(_with("reminders: P1D")) == [
        (8, "reminders", "should be a list of ISO 8601 durations, like [P1D, PT2H]")
    ]


def test_yaml_syntax_errors_and_duplicate_keys_have_their_line() -> None:
    found = _problems(_with("title: {en: Rhyme time?, cy: Amser rhigwm?}"))
    assert found[0][:2] == (2, "")
    assert found[0][2].startswith("invalid YAML: while parsing a flow mapping")
    assert _problems(GOOD + "id: other\n") == [(8, "id", "duplicate key 'id' (first on line 1)")]


@pytest.mark.parametrize("text", ["", "# nothing\n", "- a list\n", "just text\n"])
def test_the_file_must_be_a_mapping(text: str) -> None:
    message = (
        "the file should be a mapping with id, title, description, starts_at, ends_at, venue"
        " and community"
    )
    assert [p[1:] for p in _problems(text)] == [("", message)]


def test_files(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.yaml")
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    assert [str(p) for p in load(path)[1]] == ["latin1.yaml is not UTF-8 (byte 11)"]
    path.write_text(GOOD, encoding="utf-8-sig")
    event, problems = load(path, communities=("bettws",))
    assert problems == [] and event is not None


def test_the_invalid_example_reports_each_error_on_its_line() -> None:
    event, problems = load(EXAMPLES / "invalid.yaml")
    assert event is None
    assert [(p.line, p.path) for p in problems] == [
        (2, "id"),
        (3, "title"),
        (8, "starts_at"),
        (9, "ends_at"),
        (10, "venue"),
        (12, "capacity"),
        (14, "audience.community"),
        (16, "audience.channel"),
        (16, "audience.channel"),
        (17, "reminders"),
        (17, "reminders[2]"),
        (17, "reminders[3]"),
        (18, "capcity"),
    ]
    assert str(problems[1]) == "line 3 (title): missing Welsh (cy) text"
    assert (
        str(problems[7]) == "line 16 (audience.channel): duplicate key 'channel' (first on line 15)"
    )


KEYS = st.sampled_from(
    [
        "id", "title", "description", "starts_at", "ends_at", "venue", "community", "capacity",
        "audience", "reminders",
    ]
)  # fmt: skip
# The consultations' arbitrary YAML-ish values (texts, audiences, durations, dates), plus times.
VALUES = (
    DATA
    | st.sampled_from(["bettws", "PT2H", "2027-03-09T10:00:00Z"])
    | st.datetimes(timezones=st.just(timezone(timedelta(hours=1))))
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=10), st.booleans())
def test_validate_never_raises(data: dict[str, Any], with_lines: bool) -> None:
    lines = _fake_lines if with_lines else _no_lines
    event, problems = validate(data, lines, communities=("bettws",))
    assert (event is None) == bool(problems)
    assert all(isinstance(p, Problem) and str(p) for p in problems)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_validate_never_raises_on_a_nearly_good_event(data: st.DataObject) -> None:
    """One good event with some of its values replaced by anything."""
    good = load_text(GOOD)[0]
    assert good is not None
    mapping: dict[str, Any] = {**good.to_json(), "reminders": ["P1D"]}
    del mapping["audience"]
    for key in data.draw(st.lists(st.sampled_from(sorted(mapping)), max_size=3)):
        mapping[key] = data.draw(VALUES)
    event, problems = validate(mapping, _fake_lines)
    assert (event is None) == bool(problems)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab:- \n[]{}&*!?'\"#0\t") | st.characters(), max_size=60))
def test_any_text_after_a_good_event_loads_or_gives_problems(tail: str) -> None:
    event, problems = load_text(GOOD + tail)
    assert event is not None or all(str(p) for p in problems)
