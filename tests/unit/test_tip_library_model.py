"""The tip library model: stages, the tip due on a day, its inverse windows, and previews."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.content.library import (
    TRACK_WEEKS,
    Tip,
    TipLibrary,
    stage_on,
    stage_window,
    tip_for,
    tip_week,
)
from conversations.content.preview import preview


def _tip(track: str, week: int, **texts: str) -> Tip:
    tip_id = f"p{week:02d}" if track == "pregnancy" else f"c{week:03d}"
    return Tip(tip_id, track, week, "talk", "bath", texts or {"en": tip_id}, {})  # type: ignore[arg-type]


LIBRARY = TipLibrary(
    [_tip("child", w) for w in range(104, 260, 2)]  # deliberately out of order
    + [_tip("pregnancy", w) for w in range(12, 41)]
    + [_tip("child", w) for w in range(104)]
)
DAYS = st.dates(min_value=date(2019, 1, 1), max_value=date(2036, 12, 31))
D = timedelta(days=1)


# --- Tip and TipLibrary ----------------------------------------------------------------


def test_text_falls_back_to_english() -> None:
    tip = _tip("child", 3, en="Sing.", cy="Canwch.")
    assert (tip.text("cy"), tip.text("en"), tip.text("pl")) == ("Canwch.", "Sing.", "Sing.")


def test_library_is_sorted_by_track_then_week_and_looks_up() -> None:
    assert len(LIBRARY) == 29 + 104 + 78 == 211
    assert [t.id for t in LIBRARY.tips[:2]] == ["p12", "p13"]
    assert [t.id for t in LIBRARY.tips[28:31]] == ["p40", "c000", "c001"]
    assert LIBRARY.tips[-1].id == "c258"
    assert LIBRARY.get("c104").week == 104
    assert LIBRARY.for_stage("child", 104) is LIBRARY.get("c104")
    assert LIBRARY.for_stage("child", 105) is None
    with pytest.raises(KeyError):
        LIBRARY.get("nope")


def test_languages_are_those_every_tip_has_english_first() -> None:
    first, second = (
        _tip("child", 1, en="a", cy="b", pl="c"),
        _tip("child", 2, cy="d", en="e", pl="f"),
    )
    library = TipLibrary([first, second, _tip("child", 3, pl="g", en="h", cy="i", ar="j")])
    assert library.languages == ("en", "cy", "pl")
    assert TipLibrary([]).languages == ()
    assert len(TipLibrary([])) == 0


def test_duplicates_are_refused() -> None:
    with pytest.raises(ValueError, match="id 'c001'"):
        TipLibrary([_tip("child", 1), Tip("c001", "child", 2, "talk", "", {"en": "x"}, {})])
    with pytest.raises(ValueError, match="child week 1"):
        TipLibrary([_tip("child", 1), Tip("other", "child", 1, "talk", "", {"en": "x"}, {})])


# --- stage_on ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "birth", "due", "expected"),
    [
        # child weeks: whole weeks since birth
        (date(2026, 3, 10), date(2026, 3, 10), None, ("child", 0)),  # the birthday
        (date(2026, 3, 16), date(2026, 3, 10), None, ("child", 0)),
        (date(2026, 3, 17), date(2026, 3, 10), None, ("child", 1)),
        (date(2026, 3, 9), date(2026, 3, 10), None, None),  # not born yet
        (date(2024, 3, 7), date(2024, 2, 29), None, ("child", 1)),  # born on a leap day
        (date(2025, 2, 27), date(2024, 2, 29), None, ("child", 52)),  # 364 days
        (date(2025, 2, 28), date(2024, 2, 29), None, ("child", 52)),  # 365 days
        (date(2028, 2, 29), date(2024, 2, 29), None, ("child", 208)),  # 1461 days = 208w 5d
        (date(2024, 3, 1), date(2024, 2, 1), None, ("child", 4)),  # 29 days across a leap Feb
        (date(2025, 3, 1), date(2025, 2, 1), None, ("child", 4)),  # 28 days: exactly 4 weeks
        (date(2026, 1, 31), date(2025, 12, 31), None, ("child", 4)),  # month and year end
        (date(2026, 5, 1), date(2026, 3, 31), None, ("child", 4)),  # 31 March + 31 days
        (date(2028, 3, 5), date(2026, 3, 10), None, ("child", 103)),  # 726 days
        (date(2028, 3, 7), date(2026, 3, 10), None, ("child", 104)),  # 728 days
        (date(2031, 2, 24), date(2026, 3, 10), None, ("child", 258)),  # 1812 days
        (date(2031, 2, 25), date(2026, 3, 10), None, ("child", 259)),  # 1813 days
        (date(2031, 3, 3), date(2026, 3, 10), None, ("child", 259)),  # 1819 days
        (date(2031, 3, 4), date(2026, 3, 10), None, None),  # 1820 days = week 260: five
        (date(2026, 6, 1), date(2026, 5, 1), date(2026, 6, 30), ("child", 4)),  # birth wins
        # pregnancy: 40 - ceil(days to due date / 7), 40 for two weeks after it
        (date(2026, 6, 1), None, date(2026, 6, 1), ("pregnancy", 40)),  # the due date
        (date(2026, 5, 31), None, date(2026, 6, 1), ("pregnancy", 39)),  # 1 day before
        (date(2026, 5, 25), None, date(2026, 6, 1), ("pregnancy", 39)),  # 7 days before
        (date(2026, 5, 24), None, date(2026, 6, 1), ("pregnancy", 38)),  # 8 days before
        (date(2026, 6, 8), None, date(2026, 6, 1), ("pregnancy", 40)),  # a week overdue
        (date(2026, 6, 15), None, date(2026, 6, 1), ("pregnancy", 40)),  # two weeks overdue
        (date(2026, 6, 16), None, date(2026, 6, 1), None),  # then the birth question decides
        (date(2025, 11, 24), None, date(2026, 6, 1), ("pregnancy", 13)),  # 189 days before
        (date(2025, 11, 23), None, date(2026, 6, 1), ("pregnancy", 12)),  # 190 days before
        (date(2025, 11, 17), None, date(2026, 6, 1), ("pregnancy", 12)),  # 196 days before
        (date(2025, 11, 16), None, date(2026, 6, 1), None),  # 197 days: week 11, too early
        (date(2024, 2, 29), None, date(2024, 3, 7), ("pregnancy", 39)),  # over a leap day
        (date(2024, 2, 28), None, date(2024, 3, 7), ("pregnancy", 38)),  # 8 days, leap Feb
        (date(2023, 2, 28), None, date(2023, 3, 7), ("pregnancy", 39)),  # 7 days, plain Feb
        (date(2026, 12, 31), None, date(2027, 1, 1), ("pregnancy", 39)),  # over new year
        (date(2026, 6, 1), None, None, None),  # nothing known
    ],
)
def test_stage_on(
    day: date, birth: date | None, due: date | None, expected: tuple[str, int] | None
) -> None:
    assert stage_on(day, birth, due) == expected


@settings(max_examples=200, deadline=None)
@given(due=DAYS, days_left=st.integers(min_value=-30, max_value=300))
def test_pregnancy_week_is_40_minus_whole_weeks_left_rounded_up(due: date, days_left: int) -> None:
    stage = stage_on(due - timedelta(days=days_left), None, due)
    week = 40 - -(-max(days_left, 0) // 7)
    expected = ("pregnancy", week) if days_left >= -14 and week >= 12 else None
    assert stage == expected


# --- tip_for -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "tip_id"),
    [
        (0, "c000"),
        (103 * 7 + 6, "c103"),  # the last day of week 103
        (104 * 7, "c104"),  # the first day of week 104, the first fortnightly tip
        (105 * 7, "c104"),  # week 105 is still c104's fortnight
        (105 * 7 + 6, "c104"),
        (106 * 7, "c106"),
        (259 * 7 + 6, "c258"),  # the last day of the programme
        (260 * 7, None),
        (-1, None),
    ],
)
def test_tip_for_children(days: int, tip_id: str | None) -> None:
    birth = date(2024, 2, 29)
    tip = tip_for(LIBRARY, birth + timedelta(days=days), birth, None)
    assert (tip.id if tip else None) == tip_id


def test_tip_for_pregnancy_and_missing_tips() -> None:
    due = date(2026, 6, 1)
    assert tip_for(LIBRARY, due, None, due) is LIBRARY.get("p40")
    assert tip_for(LIBRARY, due + 14 * D, None, due) is LIBRARY.get("p40")
    assert tip_for(LIBRARY, due - D, None, due) is LIBRARY.get("p39")
    assert tip_for(LIBRARY, due + 15 * D, None, due) is None
    sparse = TipLibrary([_tip("child", 5)])
    assert tip_for(sparse, date(2026, 1, 1), date(2025, 12, 1), None) is None  # week 4


def test_tip_week() -> None:
    assert [tip_week("child", w) for w in (0, 103, 104, 105, 106, 259)] == [
        0,
        103,
        104,
        104,
        106,
        258,
    ]
    assert tip_week("pregnancy", 39) == 39


# --- stage_window ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("track", "week", "day", "window"),
    [
        ("child", 0, date(2026, 3, 10), (date(2026, 3, 4), date(2026, 3, 10))),
        ("child", 1, date(2026, 3, 10), (date(2026, 2, 25), date(2026, 3, 3))),
        ("child", 1, date(2024, 3, 7), (date(2024, 2, 23), date(2024, 2, 29))),  # leap day
        ("child", 103, date(2028, 3, 5), (date(2026, 3, 9), date(2026, 3, 15))),
        ("child", 104, date(2028, 3, 7), (date(2026, 2, 25), date(2026, 3, 10))),  # fortnight
        ("child", 258, date(2031, 3, 4), (date(2026, 3, 11), date(2026, 3, 24))),
        ("pregnancy", 40, date(2026, 6, 1), (date(2026, 5, 18), date(2026, 6, 1))),
        ("pregnancy", 39, date(2026, 6, 1), (date(2026, 6, 2), date(2026, 6, 8))),
        ("pregnancy", 12, date(2025, 11, 17), (date(2026, 5, 26), date(2026, 6, 1))),
        ("pregnancy", 39, date(2024, 2, 28), (date(2024, 2, 29), date(2024, 3, 6))),
    ],
)
def test_stage_window_examples(track: str, week: int, day: date, window: tuple[date, date]) -> None:
    assert stage_window(track, week, day) == window


@pytest.mark.parametrize(
    ("track", "week"), [("child", 105), ("child", 259), ("child", 260), ("pregnancy", 11)]
)
def test_stages_that_never_get_a_tip_have_empty_windows(track: str, week: int) -> None:
    first, last = stage_window(track, week, date(2026, 6, 1))
    assert first > last


def test_unknown_track_window_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown track"):
        stage_window("toddler", 3, date(2026, 6, 1))


def _holder_tip(tip: Tip, day: date, holder: date) -> Tip | None:
    if tip.track == "child":
        return tip_for(LIBRARY, day, holder, None)
    return tip_for(LIBRARY, day, None, holder)


@settings(max_examples=500, deadline=None)
@given(day=DAYS, index=st.integers(0, len(LIBRARY) - 1), data=st.data())
def test_every_date_in_a_window_gets_that_tip_and_just_outside_does_not(
    day: date, index: int, data: st.DataObject
) -> None:
    tip = LIBRARY.tips[index]
    first, last = stage_window(tip.track, tip.week, day)
    span = (last - first).days
    assert span == (14 if tip.id == "p40" else 6 if tip.week < 104 else 13)
    inside = first + timedelta(days=data.draw(st.integers(0, span)))
    assert _holder_tip(tip, day, inside) == tip
    assert _holder_tip(tip, day, first) == tip and _holder_tip(tip, day, last) == tip
    assert _holder_tip(tip, day, first - D) != tip
    assert _holder_tip(tip, day, last + D) != tip


@settings(max_examples=60, deadline=None)
@given(day=DAYS)
def test_windows_partition_exactly_the_dates_that_get_a_tip(day: date) -> None:
    for track, low, high in (("child", -10, 1830), ("pregnancy", -20, 210)):
        owners: dict[date, list[Tip]] = {}
        for tip in (t for t in LIBRARY.tips if t.track == track):
            first, last = stage_window(track, tip.week, day)
            for n in range((last - first).days + 1):
                owners.setdefault(first + timedelta(days=n), []).append(tip)
        for offset in range(low, high):
            holder = day - timedelta(days=offset) if track == "child" else day + timedelta(offset)
            birth, due = (holder, None) if track == "child" else (None, holder)
            expected = tip_for(LIBRARY, day, birth, due)
            assert owners.get(holder, []) == ([expected] if expected else []), (track, holder)


@settings(max_examples=100, deadline=None)
@given(birth=DAYS)
def test_a_child_gets_each_weekly_then_each_fortnightly_tip_in_order(birth: date) -> None:
    seen: list[str] = []
    for n in range(-3, 260 * 7 + 3):
        tip = tip_for(LIBRARY, birth + timedelta(days=n), birth, None)
        if tip is not None and (not seen or seen[-1] != tip.id):
            seen.append(tip.id)
    assert seen == [t.id for t in LIBRARY.tips if t.track == "child"]


def test_track_weeks_are_as_documented() -> None:
    assert (TRACK_WEEKS["pregnancy"], TRACK_WEEKS["child"]) == (range(12, 41), range(0, 260))


# --- preview -----------------------------------------------------------------------------


def test_preview_lists_tip_days_with_their_tips() -> None:
    birth = date(2025, 8, 14)  # a Thursday
    schedule = preview(LIBRARY, birth_date=birth, due_date=None, start=date(2026, 3, 9), weeks=4)
    assert [(day.isoformat(), tip.id) for day, tip in schedule] == [
        ("2026-03-10", "c029"),
        ("2026-03-17", "c030"),
        ("2026-03-24", "c031"),
        ("2026-03-31", "c032"),
    ]
    assert all(day.weekday() == 1 for day, _ in schedule)  # Tuesdays by default


def test_preview_shows_a_fortnightly_tip_once_and_respects_the_weekday() -> None:
    birth = date(2024, 3, 4)  # a Monday
    start = birth + timedelta(weeks=103)
    schedule = preview(
        LIBRARY, birth_date=birth, due_date=None, start=start, weeks=6, tip_weekday=0, lang="cy"
    )
    assert [tip.id for _, tip in schedule] == ["c103", "c104", "c106", "c108"]
    assert [day - start for day, _ in schedule] == [timedelta(weeks=w) for w in (0, 1, 3, 5)]


def test_preview_of_a_pregnancy_through_the_due_date() -> None:
    due = date(2026, 6, 2)  # a Tuesday
    schedule = preview(
        LIBRARY, birth_date=None, due_date=due, start=due - timedelta(weeks=2), weeks=6
    )
    assert [(day - due, tip.id) for day, tip in schedule] == [
        (timedelta(weeks=-2), "p38"),
        (timedelta(weeks=-1), "p39"),
        (timedelta(0), "p40"),  # and not again on the next two Tuesdays
    ]


def test_preview_skips_days_before_the_programme_and_checks_its_arguments() -> None:
    due = date(2026, 12, 1)
    schedule = preview(LIBRARY, birth_date=None, due_date=due, start=date(2026, 4, 1), weeks=9)
    assert [(day.isoformat(), tip.id) for day, tip in schedule] == [
        ("2026-05-19", "p12"),  # 196 days before the due date; the 6 Tuesdays before are too early
        ("2026-05-26", "p13"),
        ("2026-06-02", "p14"),
    ]
    with pytest.raises(ValueError, match="tip_weekday"):
        preview(LIBRARY, birth_date=None, due_date=due, start=due, weeks=1, tip_weekday=7)
    with pytest.raises(ValueError, match="weeks"):
        preview(LIBRARY, birth_date=None, due_date=due, start=due, weeks=-1)
