"""Tip spreadsheet validation: every problem, by spreadsheet row and column, before any change."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import Path

import pytest

from conversations.content.validate import RowError, parse_rows

SHIPPED = Path(__file__).resolve().parents[2] / "conversations" / "content" / "tips.csv"
GOOD: dict[str, str | None] = {
    "id": "c010",
    "track": "child",
    "week": "10",
    "topic": "talk",
    "routine": "bath time",
    "text_en": "At bath time, name each body part as you wash it. "
    "Hearing words often helps babies learn them.",
    "text_cy": "Amser bath, enwch bob rhan o'r corff wrth ei golchi. "
    "Mae clywed geiriau'n aml yn helpu babis i'w dysgu.",
    "reviewed_cy": "no",
}


def _row(**changes: str | None) -> dict[str, str | None]:
    return GOOD | changes


def _errors(
    *rows: Mapping[str, str | None], languages: tuple[str, ...] = ("en", "cy")
) -> list[RowError]:
    tips, errors = parse_rows(list(rows), languages)
    assert errors, "expected problems"
    assert tips == [], "a file with a problem imports nothing"
    return errors


def _where(errors: list[RowError]) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in errors]


def _only(*rows: Mapping[str, str | None]) -> RowError:
    errors = _errors(*rows)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


# --- what is accepted ----------------------------------------------------------------------


def test_a_good_row_becomes_a_tip() -> None:
    tips, errors = parse_rows([GOOD])
    assert errors == []
    (tip,) = tips
    assert (tip.id, tip.track, tip.week, tip.topic, tip.routine) == (
        "c010",
        "child",
        10,
        "talk",
        "bath time",
    )
    assert tip.texts == {"en": GOOD["text_en"], "cy": GOOD["text_cy"]}
    assert tip.reviewed == {"cy": False}


def test_headers_match_whatever_their_case_and_spaces() -> None:
    row = {f"  {key.upper()} ": value for key, value in GOOD.items()}
    row[" Text CY "] = row.pop("  TEXT_CY ")
    tips, errors = parse_rows([row])
    assert errors == [] and tips[0].texts["cy"] == GOOD["text_cy"]


@pytest.mark.parametrize("week", ["12", "12.0", " 12 ", "12.00", 12, 12.0])
def test_weeks_from_xlsx_numeric_cells_are_whole_numbers(week: object) -> None:
    tips, errors = parse_rows([_row(week=week)])  # type: ignore[arg-type]
    assert errors == [] and tips[0].week == 12


def test_track_and_topic_ignore_case_and_routine_is_optional() -> None:
    row = {k: v for k, v in _row(track=" Pregnancy ", topic="Talk", week="40").items()}
    del row["routine"]
    tips, errors = parse_rows([row])
    assert errors == []
    assert (tips[0].track, tips[0].topic, tips[0].routine) == ("pregnancy", "talk", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("yes", True), ("YES", True), ("true", True), ("1", True), ("True", True)],
        *[("no", False), ("false", False), ("0", False), ("", False), (None, False), (" ", False)],
    ],
)
def test_reviewed_accepts_yes_no_true_false_1_0_or_blank(value: str | None, expected: bool) -> None:
    tips, errors = parse_rows([_row(reviewed_cy=value)])
    assert errors == [] and tips[0].reviewed == {"cy": expected}


def test_a_missing_reviewed_column_means_not_reviewed() -> None:
    row = {k: v for k, v in GOOD.items() if k != "reviewed_cy"}
    tips, errors = parse_rows([row])
    assert errors == [] and tips[0].reviewed == {"cy": False}


def test_texts_are_nfc_normalised_and_stripped() -> None:
    decomposed = "Ty\u0302 bach: amser chwarae gyda'r babi."  # y + combining circumflex
    tips, errors = parse_rows([_row(text_en="  Sing a song.  \n", text_cy=decomposed)])
    assert errors == []
    assert tips[0].texts == {"en": "Sing a song.", "cy": unicodedata.normalize("NFC", decomposed)}
    assert "\u0177" in tips[0].texts["cy"]


def test_extra_columns_are_ignored_and_a_new_language_column_is_read() -> None:
    row = _row(notes="for the printer", text_pl="Zaśpiewaj piosenkę.", reviewed_pl="yes")
    tips, errors = parse_rows([row])
    assert errors == []
    assert tips[0].texts["pl"] == "Zaśpiewaj piosenkę."
    assert tips[0].reviewed == {"cy": False, "pl": True}
    tips, errors = parse_rows([_row(text_pl="")])  # optional languages may be blank
    assert errors == [] and "pl" not in tips[0].texts


def test_blank_rows_are_skipped_but_counted() -> None:
    blank = dict.fromkeys(GOOD, None)
    spaces = dict.fromkeys(GOOD, "  ")
    rows: list[Mapping[str, str | None]] = [
        GOOD,
        blank,
        spaces,
        _row(id="c011", week="11", topic="maths"),
    ]
    assert _where(_errors(*rows)) == [(5, "topic")]
    tips, errors = parse_rows([GOOD, blank, _row(id="c011", week="11")])
    assert errors == [] and [t.id for t in tips] == ["c010", "c011"]


def test_english_of_exactly_160_gsm7_characters_and_welsh_of_three_segments_fit() -> None:
    welsh = ("Tŷ " * 67)[:201]  # 201 UTF-16 units: three UCS-2 segments
    _, errors = parse_rows([_row(text_en="x" * 160, text_cy=welsh)])
    assert errors == [], [str(e) for e in errors]


def test_welsh_letters_are_never_traps() -> None:
    _, errors = parse_rows([_row(text_cy="Ŵyn bach a'r tŷ: ê, â, î, ô, û, ŵ, ŷ.")])
    assert errors == []


# --- one test per kind of problem -----------------------------------------------------------


def test_the_error_reads_as_a_person_would_look_for_it() -> None:
    assert str(RowError(14, "text_cy", "missing Welsh translation")) == (
        "row 14, text_cy: missing Welsh translation"
    )


def test_no_rows_at_all() -> None:
    tips, errors = parse_rows([])
    assert tips == [] and [str(e) for e in errors] == ["row 1, id: the file has no tips"]


@pytest.mark.parametrize("column", ["id", "track", "week", "topic", "text_en", "text_cy"])
def test_a_missing_required_column_is_reported_on_row_1(column: str) -> None:
    row = {k: v for k, v in GOOD.items() if k != column}
    assert str(_only(row)) == f"row 1, {column}: missing column"


def test_a_language_that_must_be_there_needs_its_column() -> None:
    errors = _errors(GOOD, languages=("en", "cy", "pl"))
    assert [str(e) for e in errors] == ["row 1, text_pl: missing column"]


def test_two_columns_with_the_same_name_after_tidying() -> None:
    error = _only(GOOD | {" Topic ": "play"})
    assert (error.row, error.column) == (1, "topic")
    assert "'topic'" in error.message and "' Topic '" in error.message


@pytest.mark.parametrize("column", ["id", "track", "week", "topic"])
@pytest.mark.parametrize("value", ["", "   ", None])
def test_an_empty_required_cell(column: str, value: str | None) -> None:
    errors = _errors(GOOD, _row(id="c011", week="11") | {column: value})
    assert (3, column) in _where(errors)
    assert f"row 3, {column}: empty" in [str(e) for e in errors]


def test_an_unknown_track_names_the_allowed_ones() -> None:
    error = _only(_row(track="toddler"))
    assert str(error) == "row 2, track: unknown track 'toddler': use pregnancy or child"


@pytest.mark.parametrize("week", ["ten", "12.5", "1e1", "12 weeks", "0x10"])
def test_a_week_that_is_not_a_whole_number(week: str) -> None:
    assert str(_only(_row(week=week))) == f"row 2, week: {week!r} is not a whole number"


@pytest.mark.parametrize(
    ("track", "week", "message"),
    [
        ("pregnancy", "11", "11 is outside 12-40 for pregnancy"),
        ("pregnancy", "41", "41 is outside 12-40 for pregnancy"),
        ("child", "-1", "-1 is outside 0-259 for child"),
        ("child", "260", "260 is outside 0-259 for child"),
    ],
)
def test_a_week_outside_its_track(track: str, week: str, message: str) -> None:
    assert str(_only(_row(track=track, week=week))) == f"row 2, week: {message}"


def test_an_odd_child_week_from_104_would_never_be_sent() -> None:
    error = _only(_row(id="c105", week="105"))
    assert (error.row, error.column) == (2, "week")
    assert "never sent" in error.message and "even weeks" in error.message
    assert parse_rows([_row(id="c104", week="104")])[1] == []


def test_a_duplicate_id_names_the_row_it_first_appeared_on() -> None:
    error = _only(GOOD, _row(week="11"), _row(id="c012", week="12"))
    assert str(error) == "row 3, id: id 'c010' is already used (first on row 2)"


def test_two_tips_for_the_same_stage() -> None:
    error = _only(GOOD, _row(id="c011", week="11"), _row(id="other", week="10.0"))
    assert str(error) == "row 4, week: a second child tip for week 10 (first on row 2)"


def test_the_same_week_on_different_tracks_is_fine() -> None:
    tips, errors = parse_rows([_row(week="20"), _row(id="p20", track="pregnancy", week="20")])
    assert errors == [] and len(tips) == 2


def test_an_unknown_topic_names_the_allowed_ones() -> None:
    error = _only(_row(topic="maths"))
    assert str(error) == (
        "row 2, topic: unknown topic 'maths': use one of talk, play, reading, feelings,"
        " routines, health"
    )


@pytest.mark.parametrize("tip_id", ["c 010", "c010:x", "x" * 33, "ç010"])
def test_an_id_that_cannot_be_used_in_buttons_or_the_database(tip_id: str) -> None:
    error = _only(_row(id=tip_id))
    assert (error.row, error.column) == (2, "id")


def test_a_routine_too_long_for_the_database() -> None:
    error = _only(_row(routine="r" * 65))
    assert str(error) == "row 2, routine: 65 characters; at most 64"


def test_a_missing_welsh_translation() -> None:
    rows = [_row(week="9", id="c009"), _row(text_cy="  ")]
    assert [str(e) for e in _errors(*rows)] == ["row 3, text_cy: missing Welsh translation"]


def test_a_missing_translation_in_any_required_language() -> None:
    errors = _errors(_row(text_pl=""), languages=("en", "cy", "pl"))
    assert [str(e) for e in errors] == ["row 2, text_pl: missing Polish translation"]
    errors = _errors(_row(text_en=None))
    assert [str(e) for e in errors] == ["row 2, text_en: missing English translation"]


def test_english_over_one_sms() -> None:
    error = _only(_row(text_en="x" * 161))
    assert str(error) == (
        "row 2, text_en: 161 characters (GSM-7) make 2 SMS segments;"
        " the limit is 1 (160 characters)"
    )


def test_english_extension_characters_count_twice() -> None:
    error = _only(_row(text_en="€" * 81))  # 162 septets
    assert (error.column, "162 characters (GSM-7)" in error.message) == ("text_en", True)


def test_english_that_is_not_gsm7() -> None:
    errors = _errors(_row(text_en="Visit Tŷ Hafan 🙂 soon."))
    messages = [str(e) for e in errors]
    assert _where(errors) == [(2, "text_en")] * 2
    assert messages[0].startswith("row 2, text_en: ŷ (latin small letter y with circumflex)")
    assert "position 8 is not in the GSM-7 alphabet" in messages[0]
    assert messages[1].startswith("row 2, text_en: 🙂 (slightly smiling face) at position 16")


def test_welsh_over_three_segments() -> None:
    error = _only(_row(text_cy=("Tŷ " * 70).strip()))
    assert (error.row, error.column) == (2, "text_cy")
    assert error.message == (
        "209 characters (UCS-2) make 4 SMS segments; the limit is 3 (201 characters)"
    )


def test_a_curly_apostrophe_names_the_row_column_position_and_fix() -> None:
    rows = [_row(id=f"c{w:03d}", week=str(w)) for w in range(1, 6)]
    rows.append(_row(id="c006", week="6", text_en="Name what your baby’s looking at."))
    error = _only(*rows)
    assert str(error) == (
        "row 7, text_en: ’ (right single quotation mark) at position 20 forces UCS-2; use '"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Sing \u201cRow\u201d.",
            '\u201c (left double quotation mark) at position 6 forces UCS-2; use "',
        ),
        ("Sing - then \u2013 rest.", "\u2013 (en dash) at position 13 forces UCS-2; use -"),
        ("Sing \u2014 rest.", "\u2014 (em dash) at position 6 forces UCS-2; use -"),
        (
            "Wait\u2026 then sing.",
            "\u2026 (horizontal ellipsis) at position 5 forces UCS-2; use ...",
        ),
        (
            "Sing\u00a0along.",
            "U+00A0 (no-break space) at position 5 forces UCS-2; use a plain space",
        ),
        ("it\u2019s, it\u2019s", "\u2019 (right single quotation mark) at positions 3, 9 forces"),
    ],
)
def test_characters_that_silently_change_the_encoding(text: str, message: str) -> None:
    errors = _errors(_row(text_en=text))
    assert {e.column for e in errors} == {"text_en"}
    assert errors[0].message.startswith(message)


def test_a_trap_in_welsh_text_that_is_ucs2_anyway_still_gets_its_fix() -> None:
    error = _only(_row(text_cy="Tŷ\u2019r babi."))
    assert str(error) == (
        "row 2, text_cy: \u2019 (right single quotation mark) at position 3"
        " is not plain text; use '"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("One\r\nand another.", "U+000D (carriage return) at position 4 is a Windows line break"),
        ("Sing\tand clap.", "U+0009 (tab) at position 5 forces UCS-2; use a plain space"),
        ("Sing\u200balong.", "U+200B (zero width space) at position 5 forces UCS-2; remove it"),
        ("Sing\u200ealong.", "U+200E (left-to-right mark) at position 5 is invisible; remove it"),
    ],
)
def test_line_breaks_tabs_and_invisible_characters_inside_a_text(text: str, message: str) -> None:
    errors = _errors(_row(text_en=text))
    assert _where(errors) == [(2, "text_en")]
    assert errors[0].message.startswith(message)


def test_a_plain_line_break_is_fine() -> None:
    assert parse_rows([_row(text_en="One line\nand another.")])[1] == []


@pytest.mark.parametrize("value", ["maybe", "y", "2", "reviewed"])
def test_a_reviewed_value_that_is_not_yes_or_no(value: str) -> None:
    error = _only(_row(reviewed_cy=value))
    assert str(error) == f"row 2, reviewed_cy: {value!r}: use yes or no (blank means no)"


def test_every_problem_is_reported_together() -> None:
    rows = [
        GOOD,
        _row(week="ten"),  # and a duplicate id
        {**_row(id="c011", week="300", topic="maths"), "text_en": "It\u2019s " + "x" * 160},
        dict.fromkeys(GOOD, None),
        _row(id="p10", track="pregnancy", week="10", text_cy="", reviewed_cy="maybe"),
        _row(id="c016", track="Toddler", week="16"),
        _row(id="c017", week="10"),
    ]
    expected = [
        "row 3, week: 'ten' is not a whole number",
        "row 3, id: id 'c010' is already used (first on row 2)",
        "row 4, week: 300 is outside 0-259 for child",
        "row 4, topic: unknown topic 'maths'",
        "row 4, text_en: \u2019 (right single quotation mark) at position 3 forces UCS-2",
        "row 4, text_en: 165 characters (GSM-7) make 2 SMS segments",
        "row 6, week: 10 is outside 12-40 for pregnancy",
        "row 6, text_cy: missing Welsh translation",
        "row 6, reviewed_cy: 'maybe'",
        "row 7, track: unknown track 'Toddler'",
        "row 8, week: a second child tip for week 10 (first on row 2)",
    ]
    errors = [str(e) for e in _errors(*rows)]
    assert len(errors) == len(expected), errors
    for error, start in zip(errors, expected, strict=True):
        assert error.startswith(start), (error, start)


def test_a_missing_column_does_not_hide_the_problems_in_the_rows() -> None:
    rows = [
        {k: v for k, v in row.items() if k != "topic"} for row in (GOOD, _row(id="c011", week="x"))
    ]
    assert _where(_errors(*rows)) == [(1, "topic"), (3, "week")]


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped tip library is not written yet")
def test_the_shipped_library_validates_with_zero_errors() -> None:
    from bot.content_files import read_rows

    tips, errors = parse_rows(read_rows(SHIPPED))
    assert [str(e) for e in errors] == []
    assert len(tips) == 211
