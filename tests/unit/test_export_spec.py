"""The export building blocks that need no database: the formula escaper, the filters parser,
pseudonyms, age bands and the writers."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from storage.exports.common import Pseudonyms, age_band
from storage.exports.spec import FORMULA_START, ExportError, Filters, escape, parse_filters
from storage.exports.writers import write_csv, write_xlsx

COMMUNITIES = ("bettws", "feltham", "margate")


@given(st.text())
def test_no_escaped_cell_starts_a_formula(text: str) -> None:
    escaped = escape(text)
    assert isinstance(escaped, str)
    assert not escaped.startswith(FORMULA_START)
    assert escaped in (text, "'" + text)  # nothing else is changed
    assert escaped == text or text.startswith(FORMULA_START)


@pytest.mark.parametrize("dangerous", ["=1+1", "+44", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_each_formula_start_is_escaped(dangerous: str) -> None:
    assert escape(dangerous) == "'" + dangerous


def test_numbers_and_blanks_are_left_alone() -> None:
    assert escape(-3) == -3 and escape(None) is None and escape(2.5) == 2.5


@given(st.dates(), st.dates(), st.lists(st.sampled_from(COMMUNITIES), max_size=3), st.booleans())
def test_valid_filters_parse_back(first: date, second: date, chosen: list[str], flag: bool) -> None:
    start, end = min(first, second), max(first, second)
    parsed = parse_filters(
        {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "community": ",".join(chosen),
            "consultation": "play-park",
            "finished_only": "yes" if flag else "",
            "include_free_text": "on" if not flag else "no",
        },
        COMMUNITIES,
    )
    assert (parsed.date_from, parsed.date_to) == (start, end)
    assert parsed.communities == (tuple(dict.fromkeys(chosen)) or None)
    assert parsed.finished_only is flag and parsed.include_free_text is not flag


@given(st.dictionaries(st.sampled_from(["from", "to", "community", "consultation",
                                        "finished_only", "include_free_text"]),
                       st.one_of(st.none(), st.text())))  # fmt: skip
def test_any_input_parses_or_is_refused_in_one_line(raw: dict[str, str | None]) -> None:
    try:
        parsed = parse_filters(raw, COMMUNITIES)
    except ExportError as error:
        assert str(error) and "\n" not in str(error)  # values are quoted with repr()
        return
    assert isinstance(parsed, Filters)
    if parsed.date_from and parsed.date_to:
        assert parsed.date_from <= parsed.date_to
    assert all(c in COMMUNITIES for c in parsed.communities or ())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"from": "10/03/2026"}, "YYYY-MM-DD"),
        ({"from": "2026-W11-1"}, "YYYY-MM-DD"),
        ({"from": "2026-03-11", "to": "2026-03-10"}, "after"),
        ({"community": "bettws,atlantis"}, "unknown community 'atlantis'"),
        ({"consultation": "../etc/passwd"}, "not a consultation id"),
        ({"finished_only": "maybe"}, "yes or no"),
    ],
)
def test_bad_filters_are_named(raw: dict[str, str | None], message: str) -> None:
    with pytest.raises(ExportError, match=message):
        parse_filters(raw, COMMUNITIES)


@given(st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=50, unique=True))
def test_codes_agree_within_an_export_and_differ_between_two(ids: list[int]) -> None:
    one, two = Pseudonyms(), Pseudonyms()
    codes = [one.code(i) for i in ids]
    assert codes == [one.code(i) for i in ids]  # stable within one export
    assert len(set(codes)) == len(ids)
    assert not set(codes) & {two.code(i) for i in ids}  # unlinkable between exports
    assert all(re.fullmatch(r"R-[0-9a-f]{15}", code) for code in codes)


def test_age_bands_match_the_results_page() -> None:
    today = date(2026, 3, 10)
    assert age_band(None, date(2026, 8, 20), today) == "pregnancy"
    assert age_band(None, None, today) == "none"
    assert age_band(date(2025, 6, 12), None, today) == "0-11m"
    assert age_band(date(2025, 3, 10), None, today) == "12-23m"  # exactly one today
    assert age_band(date(2021, 3, 10), None, today) == "60m+"


def test_the_writers_escape_and_agree() -> None:
    rows: list[list[str | int | float | None]] = [["=cmd()", 1, None, "ŵ\x01"], ["+1", 0, 2.5, "-"]]
    seen: list[int] = []
    as_csv, as_xlsx = io.BytesIO(), io.BytesIO()
    assert write_csv(as_csv, ["a", "b", "c", "d"], rows, seen.append) == 2
    assert write_xlsx(as_xlsx, ["a", "b", "c", "d"], rows, seen.append) == 2
    assert seen[-1] == 2 and not as_csv.closed
    text = as_csv.getvalue().decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "b", "c", "d"],
        ["'=cmd()", "1", "", "ŵ\x01"],
        ["'+1", "0", "2.5", "'-"],
    ]
    as_xlsx.seek(0)
    sheet = load_workbook(as_xlsx).worksheets[0]
    assert [[c.value for c in row] for row in sheet.iter_rows()][1:] == [
        ["'=cmd()", 1, None, "ŵ"],
        ["'+1", 0, 2.5, "'-"],
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
