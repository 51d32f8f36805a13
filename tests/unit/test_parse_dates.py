"""Reading dates in English and Welsh, day first, with year inference and no exceptions."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.parsing.dates import _STRICT, NAMED, ParsedDate, _blank, _blanked, parse_date

# Every Unicode category, surrogates ("Cs") and unassigned code points included.
ANY_CHAR = st.characters(categories=["C", "L", "M", "N", "P", "S", "Z"])
ANY_TEXT = (
    st.text(alphabet=ANY_CHAR, max_size=200)
    | st.text(alphabet="0123456789/.-, 'stndrhafeoMmrcawFfiyJIJuly", max_size=40)
    | st.text(max_size=50).map(lambda s: s * 200)
)
FAST = settings(max_examples=150, deadline=None)
TODAY = date(2026, 3, 10)
MAR_12 = date(2025, 3, 12)

EN_MONTHS = (
    *("January", "February", "March", "April", "May", "June", "July"),
    *("August", "September", "October", "November", "December"),
)
CY_MONTHS = (
    *("Ionawr", "Chwefror", "Mawrth", "Ebrill", "Mai", "Mehefin", "Gorffennaf"),
    *("Awst", "Medi", "Hydref", "Tachwedd", "Rhagfyr"),
)
CY_SOFT = (
    *("Ionawr", "Chwefror", "Fawrth", "Ebrill", "Fai", "Fehefin", "Orffennaf"),
    *("Awst", "Fedi", "Hydref", "Dachwedd", "Ragfyr"),
)

DAY_CASES: list[tuple[str, date]] = [
    ("12/03/2025", MAR_12),
    ("12-03-2025", MAR_12),
    ("12.03.2025", MAR_12),
    ("12/3/25", MAR_12),
    ("12/3/2025", MAR_12),
    ("2025-03-12", MAR_12),
    ("2025/03/12", MAR_12),
    ("12 03 2025", MAR_12),
    ("12/03 2025", MAR_12),
    ("12 March 2025", MAR_12),
    ("12th March 2025", MAR_12),
    ("12 Mar 2025", MAR_12),
    ("12 mar. 2025", MAR_12),
    ("12-Mar-2025", MAR_12),
    ("12 March '25", MAR_12),
    ("12 march 25", MAR_12),
    ("March 12 2025", MAR_12),
    ("March 12th, 2025", MAR_12),
    ("March the 12th 2025", MAR_12),
    ("the 12th of March 2025", MAR_12),
    ("Wed, 12 March 2025", MAR_12),
    ("Wed,12 March 2025", MAR_12),
    ("2025 March 12", MAR_12),
    ("2025, Mawrth 12fed", MAR_12),
    ("He was born on 12 March 2025!", MAR_12),
    ("12 MAWRTH 2025", MAR_12),
    ("12 Mawrth 2025", MAR_12),
    ("12fed Mawrth 2025", MAR_12),
    ("12 o Fawrth 2025", MAR_12),
    ("12fed o fis Mawrth 2025", MAR_12),
    ("dydd Mercher 12fed o Fawrth 2025", MAR_12),
    ("dydd Mawrth 12 Mawrth 2025", MAR_12),
    ("Mawrth 12fed 2025", MAR_12),
    ("1af o Ionawr 2024", date(2024, 1, 1)),
    ("2il o Chwefror 2024", date(2024, 2, 2)),
    ("3ydd Ebrill 2024", date(2024, 4, 3)),
    ("5ed o Fai 2024", date(2024, 5, 5)),
    ("7fed Fehefin 2024", date(2024, 6, 7)),
    ("11eg o Orffennaf 2024", date(2024, 7, 11)),
    ("21ain Awst 2024", date(2024, 8, 21)),
    ("30ain o Fedi 2024", date(2024, 9, 30)),
    ("1 Hydref 2024", date(2024, 10, 1)),
    ("5 Nhachwedd 2024", date(2024, 11, 5)),
    ("5 o Dachwedd 2024", date(2024, 11, 5)),
    ("25 Ragfyr 2024", date(2024, 12, 25)),
    ("25 Rhagfyr 2024", date(2024, 12, 25)),
    ("1st Jan 2024", date(2024, 1, 1)),
    ("2nd Feb 2024", date(2024, 2, 2)),
    ("3rd Sept 2024", date(2024, 9, 3)),
    ("4th Sep 2024", date(2024, 9, 4)),
    ("29 Feb 2024", date(2024, 2, 29)),
    ("31/12/2100", date(2100, 12, 31)),
    ("01/01/1900", date(1900, 1, 1)),
    ("１２/０３/２０２５", MAR_12),
    ("today", TODAY),
    ("Ddoe", date(2026, 3, 9)),
    ("yfory", date(2026, 3, 11)),
]


@pytest.mark.parametrize(("text", "expected"), DAY_CASES)
def test_day_precision(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == ParsedDate(expected, "day")


MONTH_CASES: list[tuple[str, date]] = [
    ("March 2025", date(2025, 3, 15)),
    ("march, 2025", date(2025, 3, 15)),
    ("Mawrth 2025", date(2025, 3, 15)),
    ("ym mis Mawrth 2025", date(2025, 3, 15)),
    ("Fehefin 2026", date(2026, 6, 15)),
    ("Sept 2026", date(2026, 9, 15)),
    ("03/2025", date(2025, 3, 15)),
    ("3/2025", date(2025, 3, 15)),
    ("12/2025", date(2025, 12, 15)),
    ("2025-03", date(2025, 3, 15)),
]


@pytest.mark.parametrize(("text", "expected"), MONTH_CASES)
def test_month_precision(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == ParsedDate(expected, "month")
    assert parse_date(text, TODAY, prefer="future") == ParsedDate(expected, "month")


NO_YEAR_CASES: list[tuple[str, date, date]] = [
    # (text, with prefer="past", with prefer="future"), today being 10 March 2026
    ("12 March", date(2025, 3, 12), date(2026, 3, 12)),
    ("12/03", date(2025, 3, 12), date(2026, 3, 12)),
    ("12.3", date(2025, 3, 12), date(2026, 3, 12)),
    ("March 12", date(2025, 3, 12), date(2026, 3, 12)),
    ("12fed o Fawrth", date(2025, 3, 12), date(2026, 3, 12)),
    ("Mawrth y 12fed", date(2025, 3, 12), date(2026, 3, 12)),
    ("10 March", TODAY, TODAY),
    ("10/03", TODAY, TODAY),
    ("9 March", date(2026, 3, 9), date(2027, 3, 9)),
    ("1 Jan", date(2026, 1, 1), date(2027, 1, 1)),
    ("31 Dec", date(2025, 12, 31), date(2026, 12, 31)),
    ("29/02", date(2024, 2, 29), date(2028, 2, 29)),
    ("12 March at 10am", date(2025, 3, 12), date(2026, 3, 12)),
]


@pytest.mark.parametrize(("text", "past", "future"), NO_YEAR_CASES)
def test_year_inference(text: str, past: date, future: date) -> None:
    assert parse_date(text, TODAY) == ParsedDate(past, "day")
    assert parse_date(text, TODAY, prefer="past") == ParsedDate(past, "day")
    assert parse_date(text, TODAY, prefer="future") == ParsedDate(future, "day")


NONE_CASES = [
    "31/02/2025",
    "29/02/2025",
    "30 February 2024",
    "31 Ebrill 2025",
    "13/13/2025",
    "12/13/2025",
    "00/03/2025",
    "2025-13-01",
    "1/1/1899",
    "1/1/2101",
    "March 1899",
    "13/2025",
    "31/02",
    "",
    "   ",
    "hello",
    "no idea",
    "12",
    "2025",
    "March",
    "dydd Mawrth",
    "12 March 202",
    "March 12 202",
    "12 march 2",
    "12/03/2025 or 13/03/2025",
    "12 marching 2025",
    "07700 900123",
    "3.5kg",
    "12/03 10:30",
    "1/2/3/4",
    "12:30",
]


@pytest.mark.parametrize("text", NONE_CASES)
def test_no_date(text: str) -> None:
    assert parse_date(text, TODAY) is None
    assert parse_date(text, TODAY, prefer="future") is None


def test_repeated_same_date_is_fine() -> None:
    assert parse_date("12/03/2025 (12 March 2025)", TODAY) == ParsedDate(MAR_12, "day")


def test_time_after_a_full_date_is_ignored() -> None:
    assert parse_date("born 12/03/2025 at 3.15", TODAY) == ParsedDate(MAR_12, "day")


def test_deterministic() -> None:
    texts = [case[0] for case in DAY_CASES] + NONE_CASES + ["x 1/2 " * 80]
    for text in texts:
        assert parse_date(text, TODAY) == parse_date(text, TODAY)


@FAST
@given(ANY_TEXT, st.dates(), st.sampled_from(["past", "future"]))
def test_never_raises(text: str, today: date, prefer: str) -> None:
    parsed = parse_date(text, today, prefer="past" if prefer == "past" else "future")
    assert parsed is None or isinstance(parsed, ParsedDate)
    if parsed is not None:
        assert 1900 <= parsed.value.year <= 2100 or abs((parsed.value - today).days) <= 1
        assert parsed.precision in {"day", "month"}
        assert parsed.precision == "day" or parsed.value.day == 15


DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))


@FAST
@given(DATES)
def test_round_trip_numeric(d: date) -> None:
    expected = ParsedDate(d, "day")
    assert parse_date(f"{d.day}/{d.month}/{d.year}", TODAY) == expected
    assert parse_date(d.strftime("%d/%m/%Y"), TODAY) == expected
    assert parse_date(d.strftime("%d-%m-%Y"), TODAY) == expected
    assert parse_date(d.strftime("%d.%m.%Y"), TODAY) == expected
    assert parse_date(d.isoformat(), TODAY) == expected
    if 2000 <= d.year <= 2099:
        assert parse_date(f"{d.day}/{d.month}/{d.year % 100:02d}", TODAY) == expected


@FAST
@given(DATES)
def test_round_trip_words(d: date) -> None:
    expected = ParsedDate(d, "day")
    en, cy, soft = EN_MONTHS[d.month - 1], CY_MONTHS[d.month - 1], CY_SOFT[d.month - 1]
    assert parse_date(f"{d.day} {en} {d.year}", TODAY) == expected
    assert parse_date(f"{en} {d.day}, {d.year}", TODAY) == expected
    assert parse_date(f"{d.day} {en[:3].upper()} {d.year}", TODAY) == expected
    assert parse_date(f"{d.day} {cy} {d.year}", TODAY) == expected
    assert parse_date(f"{d.day} o {soft} {d.year}", TODAY) == expected
    assert parse_date(f"{en} {d.year}", TODAY) == ParsedDate(d.replace(day=15), "month")
    assert parse_date(f"{cy} {d.year}", TODAY) == ParsedDate(d.replace(day=15), "month")


@FAST
@given(DATES, st.dates(min_value=date(1910, 1, 1), max_value=date(2090, 12, 31)), st.booleans())
def test_inferred_year_is_nearest(d: date, today: date, past: bool) -> None:
    parsed = parse_date(f"{d.day}/{d.month}", today, prefer="past" if past else "future")
    assert parsed is not None
    assert (parsed.value.month, parsed.value.day) == (d.month, d.day)
    gap = (today - parsed.value).days if past else (parsed.value - today).days
    assert 0 <= gap < (366 if (d.month, d.day) != (2, 29) else 366 * 8)


DATEISH = st.lists(
    st.sampled_from(["12", "3", "2025", "'25", "/", "-", ".", " ", ",", "march", "of", "fed"])
    | st.text(alphabet="0123456789/.- abc", max_size=4),
    max_size=12,
).map("".join)


@given(DATEISH)
def test_blanking_found_matches_is_what_substituting_them_gives(text: str) -> None:
    for pattern, _reader in _STRICT:
        found = list(pattern.finditer(text))
        expected = pattern.sub(_blank, text)
        assert (_blanked(text, found) if found else text) == expected


@given(st.text(alphabet=st.characters(categories=["N", "P", "S", "Z", "Cc"]), max_size=60))
def test_patterns_skipped_for_text_without_letters_need_a_letter_to_match(text: str) -> None:
    assert NAMED, "the month-name patterns are found"
    for pattern in NAMED:
        assert pattern.search(text) is None
