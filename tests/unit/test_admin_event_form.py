"""The dashboard's event form: typed strings to an Event through the CLI's validator, and back."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from admin.pages.event_form import EventDraft, of_event, parse, suggest_id
from conversations.consultations.checks import ID
from conversations.types import Community

BETTWS = Community("bettws", "Bettws", "Wales", ("cy", "en"), "Europe/London")
FELTHAM = Community("feltham", "Feltham", "England", ("en",), "Europe/London")
LANGUAGES = ("en", "cy")
TEXTS = {
    "title_en": "Rhyme time",
    "title_cy": "Amser rhigwm",
    "description_en": "Songs and rhymes.",
    "description_cy": "Caneuon a rhigymau.",
    "venue_en": "Bettws Library",
}


def draft(**changes: object) -> EventDraft:
    base = EventDraft(
        community="bettws",
        texts=TEXTS,
        start_date="2027-03-09",
        start_time="10:00",
        end_time="10:45",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def fields(problems: list[object]) -> set[str]:
    return {p.field for p in problems}  # type: ignore[attr-defined]


def test_a_bettws_event_needs_welsh_but_a_place_name_may_be_shared() -> None:
    event, problems = parse(draft(), BETTWS, LANGUAGES)
    assert problems == [] and event is not None
    assert event.id == "rhyme-time-2027-03-09"
    assert event.venue == {"en": "Bettws Library", "cy": "Bettws Library"}
    assert event.starts_at == datetime(2027, 3, 9, 10, tzinfo=UTC)
    english_only = {k: v for k, v in TEXTS.items() if not k.endswith("_cy")}
    event, problems = parse(draft(texts=english_only), BETTWS, LANGUAGES)
    assert event is None and fields(problems) == {"title_cy", "description_cy"}
    event, problems = parse(draft(texts=english_only, community="feltham"), FELTHAM, LANGUAGES)
    assert problems == [] and event is not None and event.languages() == ("en",)


def test_summer_times_are_london_times_and_a_skipped_hour_is_refused() -> None:
    event, _ = parse(draft(start_date="2027-07-01"), BETTWS, LANGUAGES)
    assert event is not None and event.starts_at.utcoffset() == timedelta(hours=1)
    assert event.starts_at.astimezone(UTC).hour == 9
    event, problems = parse(
        draft(start_date="2027-03-28", start_time="01:30", end_time="03:00"), BETTWS, LANGUAGES
    )
    assert event is None and fields(problems) == {"start_time"}


def test_an_hour_from_midnight_on_the_night_the_clocks_go_forward_ends_at_two() -> None:
    event, problems = parse(draft(start_date="2026-03-29", start_time="00:00"), BETTWS, LANGUAGES)
    assert event is not None and problems == []
    hour_long = dataclasses.replace(event, ends_at=event.starts_at + timedelta(hours=1))
    shown = of_event(hour_long, "Europe/London")
    assert (shown.start_time, shown.end_time) == ("00:00", "02:00")  # 01:00 GMT is 02:00 BST
    again, problems = parse(shown, BETTWS, LANGUAGES)
    assert problems == [] and again == hour_long


def test_the_validators_own_checks_still_apply() -> None:
    event, problems = parse(draft(reminders=("P7D", "P1D", "PT2H", "PT1H")), BETTWS, LANGUAGES)
    assert event is None and fields(problems) == {"reminders"}
    assert "at most 3 reminders" in problems[0].detail


@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
    minutes=st.integers(min_value=0, max_value=23 * 60 - 1),
    length=st.integers(min_value=15, max_value=6 * 60),
    capacity=st.none() | st.integers(min_value=1, max_value=500),
    ages=st.none() | st.tuples(st.integers(0, 36), st.integers(36, 72)),
)
def test_an_event_shown_in_the_form_and_saved_unchanged_is_the_same_event(
    day: date, minutes: int, length: int, capacity: int | None, ages: tuple[int, int] | None
) -> None:
    start = f"{minutes // 60:02d}:{minutes % 60:02d}"
    first, problems = parse(draft(start_date=day.isoformat(), start_time=start), BETTWS, LANGUAGES)
    if first is None:  # only the hour the clocks skip
        assert fields(problems) == {"start_time"} or fields(problems) == {"end_time"}
        return
    event = dataclasses.replace(
        first,
        ends_at=first.starts_at + timedelta(minutes=length),
        capacity=capacity,
        audience=dataclasses.replace(first.audience, child_age_months=ages),
    )
    again, problems = parse(of_event(event, "Europe/London"), BETTWS, LANGUAGES)
    assert problems == []
    assert again == event


@given(st.dictionaries(st.sampled_from(list(EventDraft.__dataclass_fields__)), st.text()))
def test_any_typing_gives_an_event_or_problems_never_an_exception(typed: dict[str, str]) -> None:
    typed.pop("texts", None)
    typed.pop("reminders", None)
    event, problems = parse(draft(**typed), BETTWS, LANGUAGES)
    assert (event is None) == bool(problems)


@given(st.text(), st.dates().map(date.isoformat))
def test_a_suggested_id_is_always_a_valid_id(title: str, day: str) -> None:
    assert ID.fullmatch(suggest_id(title, day))
