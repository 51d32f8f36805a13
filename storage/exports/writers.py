"""Rows to a binary stream: CSV (UTF-8 with a byte order mark) or XLSX (write-only)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from storage.exports.spec import Cell, escape

Progress = Callable[[int], None]  # told how many rows have been written so far
EVERY = 500  # rows between progress reports


def write_csv(
    stream: BinaryIO, header: list[str], rows: Iterable[list[Cell]], progress: Progress
) -> int:
    """A byte order mark, so Excel opens the file as UTF-8 and keeps ŵ and ŷ."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(["" if v is None else escape(v) for v in row])
            count += 1
            if count % EVERY == 0:
                progress(count)
        text.flush()
    finally:
        text.detach()  # the caller owns the stream
    progress(count)
    return count


def write_csv_blocks(
    stream: BinaryIO, header: list[str], blocks: Iterable[tuple[int, bytes]], progress: Progress
) -> int:
    """The same file as `write_csv`, from blocks of rows already written as CSV."""
    write_csv(stream, header, (), lambda done: None)
    count = 0
    for rows, block in blocks:
        stream.write(block)
        count += rows
        progress(count)
    progress(count)
    return count


def write_xlsx(
    stream: BinaryIO, header: list[str], rows: Iterable[list[Cell]], progress: Progress
) -> int:
    """Write-only mode: openpyxl keeps rows in a temporary file, not in memory."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx(v) for v in row])
        count += 1
        if count % EVERY == 0:
            progress(count)
    book.save(stream)
    progress(count)
    return count


def _xlsx(value: Cell) -> Cell:
    """Escaped, without the control characters an XLSX file may not hold."""
    value = escape(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value
