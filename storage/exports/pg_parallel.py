"""One COPY export split into key ranges that PostgreSQL runs at once, one connection each.

Every range reads the same snapshot (exported by the caller's transaction), so the file is one
consistent view however the ranges interleave. The first range is streamed to the caller as it
arrives; the others go to temporary files, appended in order, so memory stays flat.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from psycopg import sql
from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    and_,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

from storage.exports.pg_copy import copy_csv

Convert = Callable[[Iterator[list[memoryview]]], Iterator[tuple[int, bytes]]]
# Off (1): each range hashes the whole answers table to find its own contacts' answers, so
# on two cores two ranges took 23.7 s where PostgreSQL's own parallel plan took 15.0 s for 1M
# respondents (benchmarks/RESULTS.md). Worth trying again with more cores, or with ranges of
# contact ids that the answers index can scan alone: min(4, os.cpu_count() or 1), say.
PARTS = 1
MIN_ROWS_PER_PART = 50_000  # below this a second connection costs more than it saves
# PostgreSQL's own parallel plan gave every worker the whole pivot to build (loops=3 in
# EXPLAIN); with one range per core the ranges are the parallelism instead. A range's row
# count is easily misestimated (many equal start times make it look like one row), and a
# nested loop over the answers pivot then runs for minutes: hash joins cost seconds at worst.
SERIAL = {"max_parallel_workers_per_gather": "0", "enable_nestloop": "off", "work_mem": "64MB"}
# The cuts are placed from a random sample of the rows (no sort of all of them on the way to
# the first byte), or from every row when the sample is too small to place them well.
SAMPLE = 0.02
MIN_SAMPLE_PER_PART = 100


def ranges(
    session: Session, keys: Select[Any], columns: Sequence[Any], parts: int, min_rows: int
) -> list[ColumnElement[bool]] | None:
    """Conditions cutting the rows of `keys` (in the order of `columns`, whose first may be
    NULL and sorts last) into `parts` runs of about equal size; None for too few rows."""
    if parts < 2:
        return None
    sampled = _cuts(session, keys.where(func.random() < SAMPLE), columns, parts)
    found: Sequence[Any] | None = sampled
    if sampled is not None and sampled[0][-1] >= parts * MIN_SAMPLE_PER_PART:
        total = sampled[0][-1] / SAMPLE
    else:
        found = _cuts(session, keys, columns, parts)
        total = found[0][-1] if found else 0
    if not found or total < parts * min_rows:
        return None
    key = tuple_(*columns)
    bounds = [tuple_(*map(_bound, row[:-1], columns)) for row in found]
    out: list[ColumnElement[bool]] = [key <= bounds[0]]
    out += [and_(key > low, key <= high) for low, high in itertools.pairwise(bounds)]
    out.append(or_(key > bounds[-1], columns[0].is_(None)))
    return out


def _cuts(
    session: Session, keys: Select[Any], columns: Sequence[Any], parts: int
) -> Sequence[Any] | None:
    """The key of the last row of each of the first parts-1 runs of `keys`, each with the
    row count; None when there are too few rows to cut."""
    numbered = keys.where(columns[0].is_not(None)).add_columns(
        func.row_number().over(order_by=list(columns)).label("n"),
        func.count().over().label("total"),
    )
    k = numbered.subquery("k")
    n, total = k.c.n, k.c.total
    # The last row of each of the first parts-1 runs: where n * parts // total steps up.
    last = ((n + 1) * parts) // total > (n * parts) // total
    found = session.execute(
        select(*list(k.c)[: len(columns)], total).where(n < total - 1, last).order_by(n)
    ).all()
    return found if len(found) == parts - 1 else None


def _bound(value: Any, column: Any) -> ColumnElement[Any]:
    return literal(value, column.type)


def copy_ranges(
    session: Session,
    statements: Sequence[Select[Any]],
    config: Mapping[str, str],
    convert: Convert,
) -> Iterator[tuple[int, bytes]]:
    """The statements' CSV blocks, in order, as if one statement; all run at once."""
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    settings = {**config, **SERIAL}

    def run(statement: Select[Any]) -> Iterator[tuple[int, bytes]]:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            raw = connection.connection.driver_connection
            assert raw is not None
            # The first statement of the transaction, so it sees the caller's snapshot.
            set_snapshot = sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot))
            connection.exec_driver_sql(set_snapshot.as_string(raw))
            yield from convert(copy_csv(connection, statement, settings))
            connection.rollback()

    pool = ThreadPoolExecutor(max_workers=max(1, len(statements) - 1))
    later = [pool.submit(_to_file, run(statement)) for statement in statements[1:]]
    try:
        yield from run(statements[0])
        for future in later:
            yield from _from_file(*future.result())
    finally:
        pool.shutdown(wait=True)  # on an early exit too: the ranges still running end first
        for future in later:
            if future.exception() is None:
                future.result()[0].close()


def _to_file(blocks: Iterator[tuple[int, bytes]]) -> tuple[IO[bytes], list[tuple[int, int]]]:
    """A range's blocks spooled to disk, with each block's (rows, bytes)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the caller, who closes it)
    sizes = []
    try:
        for rows, block in blocks:
            spool.write(block)
            sizes.append((rows, len(block)))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, sizes


def _from_file(spool: IO[bytes], sizes: list[tuple[int, int]]) -> Iterator[tuple[int, bytes]]:
    for rows, size in sizes:
        yield rows, spool.read(size)
