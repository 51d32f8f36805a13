"""The .ics file: parsed back with icalendar, London times across the clock change, Welsh text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar, Component

from bot.event_yaml import load
from conversations.events.ics import calendar_file, file_name
from conversations.events.model import Event

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "events" / "rhyme-time.yaml"
STAMP = datetime(2027, 2, 1, 12, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
BST = timezone(timedelta(hours=1))
WELSH = (
    "Dewch â'ch plant i ganu rhigymau a chaneuon: ŵyn bach, ŷd, Gŵyl Dewi; mae croeso i bawb, "
    "a does dim angen archebu lle. Mae'r llyfrgell ar agor o naw tan bump."
)


def _example() -> Event:
    event, problems = load(EXAMPLE)
    assert problems == [] and event is not None
    return event


def _vevent(data: bytes) -> Component:
    calendar = Calendar.from_ical(data)
    (vevent,) = calendar.walk("VEVENT")
    return vevent


def test_one_event_with_its_uid_texts_and_stamp() -> None:
    event = _example()
    data = calendar_file(event, "en", STAMP)
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0" and str(calendar["METHOD"]) == "PUBLISH"
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE", "VEVENT"]
    vevent = _vevent(data)
    assert str(vevent["UID"]) == "bettws-rhyme-time-2027-03-09@elc-bot"
    assert str(vevent["SUMMARY"]) == "Rhyme time at Bettws Library"
    assert str(vevent["LOCATION"]) == "Bettws Library, Newport"
    assert str(vevent["DESCRIPTION"]).startswith("Songs, rhymes and stories for babies")
    assert vevent.decoded("DTSTAMP") == STAMP
    assert vevent.decoded("SEQUENCE") == 0
    assert file_name(event) == "bettws-rhyme-time-2027-03-09.ics"


def test_times_are_london_times_with_a_timezone() -> None:
    data = calendar_file(_example(), "en", STAMP)
    assert b"DTSTART;TZID=Europe/London:20270309T100000\r\n" in data
    assert b"DTEND;TZID=Europe/London:20270309T104500\r\n" in data
    assert b"BEGIN:VTIMEZONE\r\nTZID:Europe/London\r\n" in data
    vevent = _vevent(data)
    assert vevent.decoded("DTSTART") == datetime(2027, 3, 9, 10, tzinfo=UTC)
    assert vevent.decoded("DTSTART").tzinfo == LONDON


def test_across_the_october_clock_change() -> None:
    """Saturday 10:00 BST to Monday 11:00 GMT: both stay right and the span is 50 hours."""
    event = replace(
        _example(),
        starts_at=datetime(2027, 10, 30, 9, tzinfo=UTC),  # 10:00 BST
        ends_at=datetime(2027, 11, 1, 11, tzinfo=UTC),  # 11:00 GMT
    )
    data = calendar_file(event, "en", STAMP)
    assert b"DTSTART;TZID=Europe/London:20271030T100000\r\n" in data
    assert b"DTEND;TZID=Europe/London:20271101T110000\r\n" in data
    vevent = _vevent(data)
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert start == event.starts_at and end == event.ends_at
    assert (start.utcoffset(), end.utcoffset()) == (timedelta(hours=1), timedelta(0))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=50)
    # The VTIMEZONE itself says when the clocks go back, for importers that read it.
    (zone,) = Calendar.from_ical(data).walk("VTIMEZONE")
    changes = {(c.name, c.decoded("DTSTART"), c.decoded("TZOFFSETTO")) for c in zone.subcomponents}
    assert ("STANDARD", datetime(2027, 10, 31, 2), timedelta(0)) in changes
    assert ("DAYLIGHT", datetime(2027, 3, 28, 2), timedelta(hours=1)) in changes


def test_an_evening_event_over_the_night_the_clocks_go_back() -> None:
    event = replace(
        _example(),
        starts_at=datetime(2027, 10, 30, 22, tzinfo=BST),
        ends_at=datetime(2027, 10, 31, 1, 30, tzinfo=UTC),  # 01:30 GMT, the second 01:30
    )
    data = calendar_file(event, "en", STAMP)
    assert b"DTSTART;TZID=Europe/London:20271030T220000\r\n" in data
    # RFC 5545 reads a repeated local time as the first one, so the second is written in UTC.
    assert b"DTEND:20271031T013000Z\r\n" in data
    vevent = _vevent(data)
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    assert (start, end) == (event.starts_at, event.ends_at)
    assert end - start == timedelta(hours=4, minutes=30)
    first = replace(event, ends_at=datetime(2027, 10, 31, 1, 30, tzinfo=BST))  # the first 01:30
    assert b"DTEND;TZID=Europe/London:20271031T013000\r\n" in calendar_file(first, "en", STAMP)


def test_welsh_text_round_trips_through_folding_and_escaping() -> None:
    event = replace(
        _example(),
        title={"en": "Rhyme time", "cy": "Amser rhigwm; caneuon, straeon"},
        description={"en": "Songs", "cy": WELSH + "\nDewch yn gynnar!"},
        venue={"en": "Bettws Library", "cy": "Llyfrgell Bettws, Heol Bettws"},
    )
    data = calendar_file(event, "cy", STAMP)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded in octets
    vevent = _vevent(data)
    assert str(vevent["SUMMARY"]) == "Amser rhigwm; caneuon, straeon"
    assert str(vevent["DESCRIPTION"]) == WELSH + "\nDewch yn gynnar!"
    assert str(vevent["LOCATION"]) == "Llyfrgell Bettws, Heol Bettws"
    data.decode("utf-8")  # whole characters, never split mid-way by a fold


def test_a_missing_language_falls_back_to_english() -> None:
    event = replace(_example(), venue={"en": "Bettws Library"})
    assert str(_vevent(calendar_file(event, "cy", STAMP))["LOCATION"]) == "Bettws Library"


def test_the_same_event_and_stamp_give_the_same_bytes() -> None:
    event = _example()
    first = calendar_file(event, "cy", STAMP)
    assert calendar_file(event, "cy", STAMP) == first
    assert calendar_file(event, "cy", STAMP.astimezone(BST)) == first  # the stamp is kept in UTC
    assert calendar_file(event, "en", STAMP) != first
    updated = calendar_file(event, "cy", STAMP, sequence=2)
    assert _vevent(updated).decoded("SEQUENCE") == 2
