"""The responses export's CSV made by PostgreSQL (COPY): the pivot of responses.py with every
cell formatted in SQL as the portable path formats it in Python, so Python only copies bytes."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from conversations.consultations.model import Question
from storage.exports import pg_parallel
from storage.exports.common import YES_NO, Blocks, Context, english, number
from storage.exports.pg_copy import (
    Line,
    copy_csv,
    pseudonym,
    settings,
    stamp,
    text,
)
from storage.exports.spec import Cell, escape

# Stored numbers whose cell the portable path writes unchanged (int() or float()'s shortest
# repr gives the same digits): integers, and decimals of at most 15 digits that repr does not
# put in exponent form. Any other is marked, and Python writes its cell (crlf_blocks).
INTEGER = r"^(0|-?[1-9][0-9]{0,99})$"
DECIMAL = r"^-?([1-9][0-9]*\.[0-9]*[1-9]|0\.0{0,3}[1-9]([0-9]*[1-9])?)$"
DECIMAL_LENGTH = 16  # with the sign and the point: at most 15 significant digits
# The everyday stored numbers (a scale's 1-5, a count of children), written as stored without
# the regular expressions: PostgreSQL hashes an IN list this long, so the test costs next to
# nothing where the expressions cost about a microsecond a row (benchmarks/RESULTS.md).
SMALL = tuple(str(n) for n in range(100))
ONE: ColumnClause[Any] = literal_column("'1'")
ZERO: ColumnClause[Any] = literal_column("'0'")
COMMA: ColumnClause[Any] = literal_column("','")
CRLF = b"\r\n"


def blocks(
    session: Session,
    ctx: Context,
    pivot: Callable[[pg_parallel.Within | None], Select[*tuple[Any, ...]]],
    questions: list[Question],
    ids: pg_parallel.Ids,
) -> Blocks:
    """The export's CSV rows from COPY on PostgreSQL; None elsewhere (the portable path).
    `pivot(within)` is the rows of the contacts `within` holds for, `ids(sample)` their ids:
    a large export runs ranges of them at once."""

    def source() -> Iterator[tuple[int, bytes]] | None:
        if session.get_bind().dialect.name != "postgresql":
            return None
        # Marks a stored number the SQL cannot write as Python would; unguessable, so free
        # text cannot pose as one. Only letters and digits: it never makes COPY quote a cell.
        marker = "N" + secrets.token_hex(16)
        config = settings(ctx.timezone, ctx.pseudonyms)

        def convert(batches: Iterator[Sequence[Line]]) -> Iterator[tuple[int, bytes]]:
            return crlf_blocks(batches, marker.encode())

        split = pg_parallel.ranges(session, ids, pg_parallel.PARTS, pg_parallel.MIN_ROWS_PER_PART)
        if split is None:
            statement = select_cells(ctx, pivot(None), questions, marker)
            return convert(copy_csv(session.connection(), statement, config))
        statements = [
            select_cells(ctx, pivot(part), questions, marker, keyed=True) for part in split
        ]
        return pg_parallel.copy_ranges(session, statements, config, convert)

    return source


def crlf_blocks(batches: Iterator[Sequence[Line]], marker: bytes) -> Iterator[tuple[int, bytes]]:
    """Each batch of COPY lines as one block with the csv module's line ends; a line with a
    marked number is parsed and written again by Python (rare: only odd stored numbers)."""
    for lines in batches:
        block = CRLF.join([line[:-1] for line in lines]) + CRLF
        if marker in block:
            block = b"".join(_rewritten(bytes(line), marker) for line in lines)
        yield len(lines), block


def _rewritten(line: bytes, marker: bytes) -> bytes:
    if marker not in line:
        return line[:-1] + CRLF
    mark = marker.decode()
    fields = next(csv.reader(io.StringIO(line.decode(), newline="")))
    cells: list[Cell] = [
        escape(number(field[len(mark) :])) if field.startswith(mark) else field for field in fields
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().encode()


def select_cells(
    ctx: Context,
    query: Select[*tuple[Any, ...]],
    questions: list[Question],
    marker: str,
    keyed: bool = False,
) -> Select[*tuple[Any, ...]]:
    """The rows of `query` (responses.pivot) as the text of their CSV cells, in its order;
    `keyed`, each row starts with the merge's sort key (pg_parallel.sort_key)."""
    # The rows are sorted first, with nothing but their stored values, and every cell made
    # from the sorted rows: a narrow sort stays in work_mem (half a million rows sorted with
    # their cells' text spilled 108 MB to disk). OFFSET 0 keeps PostgreSQL from merging the
    # two levels.
    c = query.offset(0).subquery("ordered").c
    columns: list[Any] = [
        pseudonym(c.contact_id),
        text(c.community_id),
        text(c.language),
        text(c.channel),
        text(c.age_band),
        text(c.status),
        c.reminders_sent,
        stamp(c.started_at),
        stamp(c.finished_at),
    ]
    if ctx.identifiable:
        columns += [text(c.code), text(c.phone), text(c.telegram)]
    for index, question in enumerate(questions):
        columns += cells(question, c[f"q{index}"], marker)
    key = pg_parallel.sort_key(c.started_at, c.id) if keyed else []
    # Ordered again, which the rows already are: PostgreSQL sees that and sorts nothing more.
    return select(*key, *columns).order_by(c.started_at, c.id)


def cells(question: Question, value: Any, marker: str) -> list[ColumnElement[Any]]:
    """One question's cells, as responses._cells makes them."""
    if question.type == "multi":
        padded = COMMA.op("||")(value).op("||")(COMMA)
        return [
            case(
                (value.is_(None), None),
                # An id with a comma can never be one of the values split on commas.
                (func.strpos(padded, literal(f",{o.id},")) > 0, ONE)
                if "," not in o.id
                else (literal(False), ONE),
                else_=ZERO,
            )
            for o in question.options
        ]
    if question.type in ("number", "scale"):
        plain = or_(
            value.regexp_match(INTEGER),
            and_(func.char_length(value) <= DECIMAL_LENGTH, value.regexp_match(DECIMAL)),
        )
        small = value.in_(SMALL)
        return [case((small, value), (plain, value), else_=literal(marker).op("||")(value))]
    if question.type == "yesno":
        return [labelled(YES_NO, value)]
    if question.type == "choice" and question.options:
        return [labelled({o.id: english(o.text) for o in question.options}, value)]
    return [text(value)]


def labelled(labels: dict[str, str], value: Any) -> ColumnElement[str]:
    """The label of a stored option id, escaped here in Python; any other value as text.
    (text() around the whole CASE would evaluate the CASE three times a row.)"""
    cells = {key: literal(escape(label)) if label else null() for key, label in labels.items()}
    return case(cells, value=value, else_=text(value))
