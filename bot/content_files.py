"""Reading and writing tip spreadsheets (CSV or XLSX) as rows of text keyed by header.

Row numbers match what a spreadsheet shows: the header is row 1 and a blank row is kept as a
dict of Nones (which `parse_rows` skips but counts), so errors point at the right row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from bot.settings import ConfigError
from conversations.content.library import Tip

Row = dict[str, str | None]
SUFFIXES = (".csv", ".xlsx")
WIDTHS = {"id": 8, "track": 11, "week": 6, "topic": 10, "routine": 16}


def read_rows(path: Path) -> list[Row]:
    """Rows of a .csv (UTF-8) or .xlsx (first sheet) file, keyed by the header row."""
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    suffix = _suffix(path)
    return _read_csv(path) if suffix == ".csv" else _read_xlsx(path)


def write_rows(path: Path, tips: Sequence[Tip], languages: Sequence[str]) -> None:
    """The library in the format `read_rows` and `content import` read back."""
    header = columns(languages)
    rows = [_values(tip, languages) for tip in tips]
    if _suffix(path) == ".csv":
        # A byte-order mark, so Excel opens the file as UTF-8 and keeps ŵ and ŷ.
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return
    book = Workbook(write_only=True)
    sheet = book.create_sheet("tips")
    for number, name in enumerate(header, start=1):
        width = WIDTHS.get(name, 60 if name.startswith("text_") else 12)
        sheet.column_dimensions[get_column_letter(number)].width = width
    sheet.append(header)
    for values in rows:
        sheet.append([_text_cell(sheet, value) for value in values])
    book.save(path)


def columns(languages: Sequence[str]) -> list[str]:
    """id, track, week, topic, routine, a text_<lang> per language, reviewed_<lang> but English."""
    langs = list(dict.fromkeys(("en", *languages)))
    texts = [f"text_{lang}" for lang in langs]
    reviews = [f"reviewed_{lang}" for lang in langs if lang != "en"]
    return ["id", "track", "week", "topic", "routine", *texts, *reviews]


def _values(tip: Tip, languages: Sequence[str]) -> list[str | int]:
    langs = list(dict.fromkeys(("en", *languages)))
    texts = [tip.texts.get(lang, "") for lang in langs]
    reviews = ["yes" if tip.reviewed.get(lang) else "no" for lang in langs if lang != "en"]
    return [tip.id, tip.track, tip.week, tip.topic, tip.routine, *texts, *reviews]


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ConfigError(f"{path.name}: unknown file type {suffix or '(none)'}; use .csv or .xlsx")
    return suffix


def _read_csv(path: Path) -> list[Row]:
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ConfigError(f"{path.name} is UTF-16 text; save it as 'CSV UTF-8 (Comma delimited)'")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(_not_utf8(path, raw, error.start)) from None
    return _keyed(csv.reader(io.StringIO(text, newline="")), path)


def _not_utf8(path: Path, raw: bytes, start: int) -> str:
    line = raw.count(b"\n", 0, start) + 1
    byte = raw[start : start + 1]
    try:
        seen = f" (Windows-1252 {byte.decode('cp1252')!r})"
    except UnicodeDecodeError:
        seen = ""
    return (
        f"{path.name} is not UTF-8: byte 0x{byte.hex().upper()}{seen} on line {line}."
        " It looks saved as plain 'CSV', which cannot hold ŵ or ŷ;"
        " save it as 'CSV UTF-8 (Comma delimited)' and check the Welsh"
    )


def _read_xlsx(path: Path) -> list[Row]:
    # openpyxl trusts the file: a damaged one fails in any way (zlib, XML, zip, KeyError), when
    # opened or only when a sheet is read, so every failure becomes one plain problem.
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise ConfigError(_unreadable(path, error)) from None
    try:
        sheet = book.worksheets[0]
        if isinstance(sheet, ReadOnlyWorksheet):
            sheet.reset_dimensions()  # trust the cells, not a stale recorded size
        cells = sheet.iter_rows(min_row=1, values_only=True)
        return _keyed(([_cell(v) for v in values] for values in cells), path)
    except ConfigError:
        raise
    except Exception as error:
        raise ConfigError(_unreadable(path, error)) from None
    finally:
        book.close()


def _unreadable(path: Path, error: Exception) -> str:
    detail = " ".join(str(error).split())[:120] or type(error).__name__
    return f"{path.name} is not a readable .xlsx workbook ({detail})"


def _keyed(records: Iterable[Sequence[str | None]], path: Path) -> list[Row]:
    """Dicts keyed by the first record; blank records stay (all None) to keep row numbers."""
    iterator = iter(records)
    first = next(iterator, None)
    if first is None:
        return []
    header = [(name or "").strip() for name in first]
    if not any(header):
        raise ConfigError(f"{path.name}: row 1 is empty; it must name the columns")
    named = [name for name in header if name]
    twice = sorted({name for name in named if named.count(name) > 1})
    if twice:
        raise ConfigError(f"{path.name}: the column {twice[0]!r} appears twice in row 1")
    rows: list[Row] = []
    for record in iterator:
        cells = [value if value not in ("", None) else None for value in record]
        rows.append(
            {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header) if name}
        )
    return rows


def _cell(value: object) -> str | None:
    """A spreadsheet value as the text a person sees: 12 not 12.0, yes/no for TRUE/FALSE."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text_cell(sheet: object, value: str | int) -> object:
    """A value for a write-only sheet; text starting with '=' stays text, never a formula."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value)  # type: ignore[arg-type]
        cell.data_type = "s"
        return cell
    return value
