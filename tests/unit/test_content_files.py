"""Tip spreadsheets on disk: CSV and XLSX round trips, encodings, row numbers as people see."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.content_files import columns, read_rows, write_rows
from conversations.content.library import Tip
from conversations.content.validate import parse_rows

SHIPPED = Path(__file__).resolve().parents[2] / "conversations" / "content" / "tips.csv"
HEADER = ["id", "track", "week", "topic", "routine", "text_en", "text_cy", "reviewed_cy"]
TIPS = [
    Tip(
        "p12",
        "pregnancy",
        12,
        "talk",
        "walk",
        {
            "en": 'Say "hello", then wait: a quiet chat, with commas.',
            "cy": "Dywedwch helo wrth y tŷ.",
        },
        {"cy": True},
    ),
    Tip(
        "c000",
        "child",
        0,
        "feelings",
        "feeding",
        {"en": "=Hold your baby close.\nTalk softly.", "cy": "Daliwch eich babi'n agos; ŵyr."},
        {"cy": False},
    ),
    Tip(
        "c104",
        "child",
        104,
        "play",
        "",
        {"en": "Play peekaboo.", "cy": "Chwarae pi-po."},
        {"cy": False},
    ),
]


def _xlsx(path: Path, *rows: Sequence[object]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            sheet.cell(row=number, column=column, value=value)  # type: ignore[call-overload]
    book.create_sheet("notes")["A1"] = "only the first sheet is read"
    book.save(path)
    return path


@pytest.mark.parametrize("name", ["tips.csv", "tips.xlsx", "TIPS.XLSX"])
def test_write_then_read_then_parse_gives_the_same_tips(tmp_path: Path, name: str) -> None:
    write_rows(tmp_path / name, TIPS, ["en", "cy"])
    tips, errors = parse_rows(read_rows(tmp_path / name))
    assert errors == [] and tips == TIPS


def test_the_written_columns_and_more_languages(tmp_path: Path) -> None:
    assert columns(["en", "cy"]) == HEADER
    assert columns(["cy", "pl"])[5:] == [
        "text_en",
        "text_cy",
        "text_pl",
        "reviewed_cy",
        "reviewed_pl",
    ]
    tips = [Tip("c001", "child", 1, "talk", "bath", {"en": "Hi.", "pl": "Cześć."}, {"pl": True})]
    write_rows(tmp_path / "pl.csv", tips, ["en", "pl"])
    again, errors = parse_rows(read_rows(tmp_path / "pl.csv"), ["en", "pl"])
    assert errors == [] and again == tips


def test_csv_is_written_with_a_bom_so_excel_keeps_the_welsh(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    write_rows(path, TIPS, ["en", "cy"])
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf" + ",".join(HEADER).encode())
    assert "tŷ".encode() in raw


def test_xlsx_weeks_are_numbers_and_text_that_looks_like_a_formula_stays_text(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tips.xlsx"
    write_rows(path, TIPS, ["en", "cy"])
    sheet = load_workbook(path).worksheets[0]
    assert [cell.value for cell in sheet[1]] == HEADER
    assert sheet["C2"].value == 12 and sheet["C2"].data_type == "n"
    assert sheet["F3"].data_type == "s" and sheet["F3"].value == TIPS[1].texts["en"]


def test_csv_with_windows_line_endings_and_a_bom_reads(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    text = ",".join(HEADER) + "\r\nc001,child,1,talk,bath,Sing.,Canwch.,yes\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert read_rows(path) == [
        dict(
            zip(
                HEADER,
                ["c001", "child", "1", "talk", "bath", "Sing.", "Canwch.", "yes"],
                strict=True,
            )
        )
    ]


def test_a_windows_line_break_inside_a_csv_cell_is_kept_for_the_validator(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    path.write_text(
        ",".join(HEADER) + '\nc001,child,1,talk,bath,"One\r\ntwo.",Un.,no\n', encoding="utf-8"
    )
    _, errors = parse_rows(read_rows(path))
    assert [(e.row, e.column) for e in errors] == [(2, "text_en")]
    assert "Windows line break" in errors[0].message


def test_a_cp1252_csv_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    path.write_bytes(
        (",".join(HEADER) + "\nc001,child,1,talk,bath,It\u2019s,Mae,no\n").encode("cp1252")
    )
    with pytest.raises(ValueError, match="not UTF-8") as caught:
        read_rows(path)
    message = str(caught.value)
    assert "tips.csv" in message and "0x92" in message and "line 2" in message
    assert "Windows-1252" in message and "CSV UTF-8" in message
    assert "\n" not in message  # the CLI prints one line


def test_a_utf16_file_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    path.write_bytes(",".join(HEADER).encode("utf-16"))
    with pytest.raises(ValueError, match="UTF-16"):
        read_rows(path)


def test_blank_csv_lines_keep_the_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    lines = [",".join(HEADER), "c001,child,1,talk,bath,Sing.,Canwch.,no", "", ",,,,,,,"]
    lines.append("c002,child,2,maths,bath,Sing.,Canwch.,no")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = read_rows(path)
    assert len(rows) == 4 and rows[1] == dict.fromkeys(HEADER)
    _, errors = parse_rows(rows)
    assert [(e.row, e.column) for e in errors] == [(5, "topic")]


def test_blank_xlsx_rows_keep_the_row_numbers(tmp_path: Path) -> None:
    good = ["c001", "child", 1, "talk", "bath", "Sing.", "Canwch.", "no"]
    bad = ["c002", "child", 2.0, "maths", "bath", "Sing.", "Canwch.", False]
    path = _xlsx(tmp_path / "tips.xlsx", HEADER, good, [], [], bad)
    rows = read_rows(path)
    assert len(rows) == 4
    assert rows[1] == rows[2] == dict.fromkeys(HEADER)
    assert rows[3]["week"] == "2" and rows[3]["reviewed_cy"] == "no"
    _, errors = parse_rows(rows)
    assert [str(e)[:15] for e in errors] == ["row 5, topic: u"]


def test_xlsx_numeric_cells_become_text_without_point_zero(tmp_path: Path) -> None:
    row = ["c012", "child", 12.0, "talk", 7, "Sing.", "Canwch.", True]
    path = _xlsx(tmp_path / "tips.xlsx", HEADER, row, ["c013", "child", 13.5])
    rows = read_rows(path)
    assert (rows[0]["week"], rows[0]["routine"], rows[0]["reviewed_cy"]) == ("12", "7", "yes")
    assert rows[1]["week"] == "13.5"
    _, errors = parse_rows(rows)
    assert "row 3, week: '13.5' is not a whole number" in [str(e) for e in errors]


def test_xlsx_headers_are_tolerated_like_csv_ones(tmp_path: Path) -> None:
    header = [
        " ID",
        "Track ",
        "WEEK",
        "Topic",
        "Routine",
        "Text_EN",
        "text cy",
        "Reviewed_CY",
        None,
        "notes",
    ]
    row = ["c001", "child", 1, "talk", "bath", "Sing.", "Canwch.", "no", "stray", "a note"]
    tips, errors = parse_rows(read_rows(_xlsx(tmp_path / "tips.xlsx", header, row)))
    assert errors == [] and tips[0].texts == {"en": "Sing.", "cy": "Canwch."}


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_the_header_must_be_on_row_1(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"tips{suffix}"
    if suffix == ".csv":
        path.write_text("\n" + ",".join(HEADER) + "\n", encoding="utf-8")
    else:
        _xlsx(path, [], HEADER)
    with pytest.raises(ValueError, match="row 1 is empty"):
        read_rows(path)


def test_a_column_named_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tips.csv"
    path.write_text("id,track,week,topic,text_en,text_en\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'text_en' appears twice"):
        read_rows(path)


def test_an_empty_file_or_a_header_alone_has_no_tips(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "header.csv").write_text(",".join(HEADER) + "\n", encoding="utf-8")
    for name in ("empty.csv", "header.csv"):
        rows = read_rows(tmp_path / name)
        assert rows == []
        assert [str(e) for e in parse_rows(rows)[1]] == ["row 1, id: the file has no tips"]


@pytest.mark.parametrize("name", ["tips.txt", "tips.xls", "tips"])
def test_an_unknown_extension(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("id\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"use \.csv or \.xlsx"):
        read_rows(path)
    with pytest.raises(ValueError, match=r"use \.csv or \.xlsx"):
        write_rows(tmp_path / f"out-{name}", TIPS, ["en", "cy"])
    assert not (tmp_path / f"out-{name}").exists()


def test_a_missing_file_names_its_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.xlsx"
    with pytest.raises(FileNotFoundError, match=r"nowhere\.xlsx") as caught:
        read_rows(path)
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_really_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "tips.xlsx"
    path.write_text("id,track\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"tips\.xlsx is not a readable \.xlsx workbook"):
        read_rows(path)


@pytest.mark.skipif(not SHIPPED.exists(), reason="the shipped tip library is not written yet")
def test_the_shipped_library_survives_an_xlsx_round_trip(tmp_path: Path) -> None:
    tips, errors = parse_rows(read_rows(SHIPPED))
    assert errors == []
    write_rows(tmp_path / "library.xlsx", tips, ["en", "cy"])
    again, errors = parse_rows(read_rows(tmp_path / "library.xlsx"))
    assert errors == [] and again == tips
