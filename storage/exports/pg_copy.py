"""PostgreSQL writes the CSV itself: `COPY (SELECT …) TO STDOUT` with every cell already text.

The expressions here reproduce, byte for byte, what the portable path does in Python
(`Pseudonyms.code`, `Context.stamp`, `spec.escape` and the csv module), so a file does not
depend on the path that made it (tests/integration/test_export_copy.py compares them).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from psycopg import Copy, Cursor, pq
from psycopg.errors import error_from_result
from psycopg.pq.abc import PGconn
from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    LargeBinary,
    Select,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnClause

from storage.exports.common import CODE_DIGITS, Pseudonyms
from storage.exports.spec import FORMULA_START

# to_char of a timestamptz in the session's TimeZone, as isoformat(timespec="seconds") has it.
ISO_SECONDS: ColumnClause[Any] = literal_column("'YYYY-MM-DD\"T\"HH24:MI:SSTZH:TZM'")
QUOTE: ColumnClause[Any] = literal_column("''''")  # the SQL literal for one apostrophe
EMPTY: ColumnClause[Any] = literal_column("''")
# The export key reaches the server as a transaction-local setting, bound server-side, never
# in the text of the (slow, so maybe logged) COPY statement; read once per statement.
INNER, OUTER = "elc_export.hmac_inner", "elc_export.hmac_outer"
Line = bytes | memoryview  # one CSV line as COPY sent it, "\n" at its end


def settings(timezone: str, pseudonyms: Pseudonyms) -> dict[str, str]:
    """What `copy_csv` sets for the statement: the time zone of its timestamps, the key."""
    inner, outer = pseudonyms.pads()
    # JIT compiling the statement took longer than it saved (benchmarks/RESULTS.md).
    return {"TimeZone": timezone, "jit": "off", INNER: inner.hex(), OUTER: outer.hex()}


def _pad(name: str) -> ColumnElement[bytes]:
    """The padded key from the session setting `name`, read once per statement (a scalar
    subquery); only the setting's name is in the statement, bound like any value."""
    setting = func.current_setting(literal(name, Text))
    key = func.decode(setting, literal_column("'hex'"), type_=LargeBinary)
    return select(key).scalar_subquery()


def pseudonym(contact_id: Any) -> ColumnElement[str]:
    """ "R-" and the first 15 hex digits (60 bits) of HMAC-SHA256(key, str(contact_id)), as
    `Pseudonyms.code` (RFC 2104 over the padded keys `settings` gives the session)."""
    message = func.convert_to(cast(contact_id, Text), literal_column("'UTF8'"))
    first = func.sha256(_pad(INNER).op("||")(message))
    digest = func.sha256(_pad(OUTER).op("||")(first))
    hex_digits = func.encode(func.substring(digest, _sql(1), _sql(8)), literal_column("'hex'"))
    return literal_column("'R-'").op("||")(func.left(hex_digits, _sql(CODE_DIGITS)))


def stamp(column: Any) -> ColumnElement[str]:
    """ISO 8601 to the second with the offset of the session's TimeZone (see `copy_csv`)."""
    return func.to_char(column, ISO_SECONDS)


def text(value: Any) -> ColumnElement[str]:
    """A text cell as `spec.escape` leaves it; blank for NULL and for '' (which COPY would
    otherwise quote, and the csv module does not)."""
    # ascii() of the first character against integers: half the cost of comparing left(v, 1)
    # with six strings (0.5 s of 9 for a million rows), and ascii('') is 0, no formula start.
    formula = func.ascii(value).in_([literal_column(str(ord(c))) for c in FORMULA_START])
    return func.nullif(case((formula, QUOTE.op("||")(value)), else_=value), EMPTY)


def _sql(number: int) -> ColumnElement[int]:
    """An integer written into the statement: COPY's client-side parameters are typed bigint,
    and PostgreSQL has no bigint >> bigint."""
    return literal_column(str(number), Integer)


def copy_csv(
    connection: Connection,
    statement: Select[*tuple[Any, ...]],
    config: Mapping[str, str],
    batch: int = 500,
) -> Iterator[list[memoryview]]:
    """The statement's rows as CSV lines, each ending in "\\n", `batch` lines at a time, with
    the settings `config` for the statement only. A line is one row: PostgreSQL sends each in
    its own message."""
    with copying(connection, statement, config) as lines:
        while chunk := list(itertools.islice(lines, batch)):
            yield chunk


@contextmanager
def copying(
    connection: Connection, statement: Select[*tuple[Any, ...]], config: Mapping[str, str]
) -> Iterator[Iterator[memoryview]]:
    """The statement's COPY started, with the settings `config` for it only, and its lines
    (each ending in "\\n") to read within the block. Starting waits for the first row."""
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    raw = connection.connection.driver_connection
    assert raw is not None
    sql = f"COPY ({compiled.string}) TO STDOUT (FORMAT csv, ENCODING 'UTF8')"
    names = list(config)
    with raw.cursor() as cursor:
        previous = [_setting(cursor, name) for name in names]
        _set(cursor, config)
        with cursor.copy(sql, compiled.params) as copy:
            yield _received(copy, raw.pgconn, raw.info.encoding)
        # Only on success: a failure rolls the transaction, and SET LOCAL with it, back.
        _set(cursor, {name: value or "" for name, value in zip(names, previous, strict=True)})


def _received(copy: Copy, pgconn: PGconn, encoding: str) -> Iterator[memoryview]:
    """The lines of a COPY TO as they arrive. Those libpq already holds are taken from it
    directly: `Copy.read()` costs five times the Python CPU per line (0.7 s against 0.25 s a
    million lines), which was most of what the export spends outside the database."""
    take = pgconn.get_copy_data
    while True:
        size, line = take(1)  # 1: never wait
        if size > 0:
            yield line
        elif size == 0:  # nothing held yet: psycopg waits for more, or sees the end
            if not (more := copy.read()):
                return
            yield memoryview(more)
        else:  # -1, the end: its result says whether the statement succeeded
            results = list(iter(pgconn.get_result, None))  # to the last, as psycopg would
            for result in results:
                if result.status != pq.ExecStatus.COMMAND_OK:
                    raise error_from_result(result, encoding=encoding)
            return


def _setting(cursor: Cursor[Any], name: str) -> str | None:
    found = cursor.execute("SELECT current_setting(%s, true)", [name]).fetchone()
    return None if found is None else found[0]


def _set(cursor: Cursor[Any], config: Mapping[str, str]) -> None:
    """SET LOCAL, with the values bound server-side."""
    for name, value in config.items():
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
