"""Which tip is due is a pure function of dates: properties across leap years and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.content.library import Tip, TipLibrary, stage_on, stage_window, tip_for
from conversations.slots import local_week, next_slot


def _tip(track: str, week: int) -> Tip:
    tip_id = f"p{week:02d}" if track == "pregnancy" else f"c{week:03d}"
    return Tip(tip_id, track, week, "talk", "bath", {"en": tip_id}, {})  # type: ignore[arg-type]


LIBRARY = TipLibrary(
    [_tip("pregnancy", w) for w in range(12, 41)]
    + [_tip("child", w) for w in range(104)]
    + [_tip("child", w) for w in range(104, 260, 2)]
)
DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@pytest.mark.parametrize(
    ("day", "birth", "due", "expected"),
    [
        (date(2026, 3, 10), date(2026, 3, 10), None, ("child", 0)),
        (date(2026, 3, 16), date(2026, 3, 10), None, ("child", 0)),
        (date(2026, 3, 17), date(2026, 3, 10), None, ("child", 1)),
        (date(2025, 2, 28), date(2024, 2, 29), None, ("child", 52)),  # a leap-day birthday
        (date(2026, 1, 31), date(2025, 12, 31), None, ("child", 4)),  # month ends
        (date(2026, 6, 1), None, date(2026, 6, 1), ("pregnancy", 40)),  # the due date
        (date(2026, 5, 25), None, date(2026, 6, 1), ("pregnancy", 39)),
        (date(2026, 5, 24), None, date(2026, 6, 1), ("pregnancy", 38)),
        (date(2026, 6, 15), None, date(2026, 6, 1), ("pregnancy", 40)),  # two weeks overdue
        (date(2026, 6, 16), None, date(2026, 6, 1), None),  # then the birth question decides
        (date(2025, 11, 10), None, date(2026, 6, 1), None),  # before week 12
        (date(2031, 3, 10), date(2026, 3, 10), None, None),  # five: the programme ends
    ],
)
def test_stage_examples(
    day: date, birth: date | None, due: date | None, expected: tuple[str, int] | None
) -> None:
    assert stage_on(day, birth, due) == expected


def test_fortnightly_from_two() -> None:
    birth = date(2024, 3, 5)
    assert tip_for(LIBRARY, birth + timedelta(weeks=104), birth, None) == LIBRARY.get("c104")
    assert tip_for(LIBRARY, birth + timedelta(weeks=105), birth, None) == LIBRARY.get("c104")
    assert tip_for(LIBRARY, birth + timedelta(weeks=106), birth, None) == LIBRARY.get("c106")


@settings(max_examples=400, deadline=None)
@given(day=DAYS, offset=st.integers(min_value=-300, max_value=2000))
def test_the_window_is_exactly_the_inverse_of_tip_for_for_births(day: date, offset: int) -> None:
    birth = day - timedelta(days=offset)
    tip = tip_for(LIBRARY, day, birth, None)
    windows = [t for t in LIBRARY.tips if t.track == "child"]
    holders = [
        t
        for t in windows
        if stage_window(t.track, t.week, day)[0] <= birth <= stage_window(t.track, t.week, day)[1]
    ]
    assert holders == ([tip] if tip else [])


@settings(max_examples=400, deadline=None)
@given(day=DAYS, offset=st.integers(min_value=-30, max_value=300))
def test_the_window_is_exactly_the_inverse_of_tip_for_for_due_dates(day: date, offset: int) -> None:
    due = day + timedelta(days=offset)
    tip = tip_for(LIBRARY, day, None, due)
    windows = [t for t in LIBRARY.tips if t.track == "pregnancy"]
    holders = [
        t
        for t in windows
        if stage_window(t.track, t.week, day)[0] <= due <= stage_window(t.track, t.week, day)[1]
    ]
    assert holders == ([tip] if tip else [])


@settings(max_examples=200, deadline=None)
@given(birth=DAYS)
def test_a_child_gets_every_weekly_tip_once_then_every_fortnightly_one(birth: date) -> None:
    seen = []
    for n in range(260 * 7):
        tip = tip_for(LIBRARY, birth + timedelta(days=n), birth, None)
        if tip is not None and (not seen or seen[-1] != tip.id):
            seen.append(tip.id)
    assert seen == [t.id for t in LIBRARY.tips if t.track == "child"]


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    weekday=st.integers(0, 6),
    hour=st.integers(8, 19),
)
def test_next_slot_is_the_chosen_local_weekday_and_time_across_clock_changes(
    moment: datetime, weekday: int, hour: int
) -> None:
    from zoneinfo import ZoneInfo

    slot = next_slot(moment, weekday, f"{hour:02d}:00", "Europe/London")
    local = slot.astimezone(ZoneInfo("Europe/London"))
    assert (local.weekday(), local.hour, local.minute) == (weekday, hour, 0)
    assert moment < slot <= moment + timedelta(days=7, hours=1)
    assert local_week(local.date()).startswith(str(local.isocalendar()[0]))
