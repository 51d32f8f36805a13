"""One COPY export split into ranges of contact ids that PostgreSQL runs at once, one
connection each, merged back into the file's order as the rows arrive.

Ranges of contact ids, not of the file's order, because each range then reads only its own
contacts' rows, through their indexes. Every range reads the same snapshot (exported by the
caller's transaction), so the file is one consistent view; each is sorted by the server, and
the merge compares a sort key of fixed width that each row carries in front, which the merge
cuts off again.
"""

from __future__ import annotations

import heapq
import itertools
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

from psycopg import sql
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Engine,
    Select,
    and_,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from storage.exports.pg_copy import Line, copying

Convert = Callable[[Iterator[Sequence[Line]]], Iterator[tuple[int, bytes]]]
Within = Callable[[Any], ColumnElement[bool]]
Ids = Callable[[float | None], Select[Any]]  # the ids to cut; a sample of about that share
# One range per core, at most four: on two cores two ranges took 6.3 s where PostgreSQL's
# own parallel plan took 8.3 s for a million respondents (benchmarks/RESULTS.md).
PARTS = min(4, os.cpu_count() or 1)
MIN_ROWS_PER_PART = 50_000  # below this a second connection costs more than it saves
# The ranges are the parallelism, not PostgreSQL's own plan (its workers each built the whole
# answers pivot, before answers were kept pivoted on the invites). Hash joins cost seconds at
# worst where a misestimated nested loop can run for minutes; the sort stays in memory.
SERIAL = {"max_parallel_workers_per_gather": "0", "enable_nestloop": "off", "work_mem": "128MB"}
# The cuts are placed from a sample of the ids, pages drawn at random (no scan and sort of all
# of them on the way to the first byte: 0.2 s where every id took 0.8 s for a million), or
# from every id when the sample is too small to place them well.
SAMPLE = 0.02
MIN_SAMPLE_PER_PART = 100
# The sort key in front of each row: the start time in microseconds and the id, each as 16
# lowercase hex digits (2**60 added: a fixed width for any value that fits in 60 bits), and a
# start time of NULL as "g"s, which sort after every digit as NULL sorts after every time.
OFFSET = 1 << 60
NO_START = "g" * 16
KEY_WIDTH = 34  # both keys and their commas


def ranges(session: Session, ids: Ids, parts: int, min_rows: int) -> list[Within] | None:
    """Conditions on a contact id cutting the ids of `ids(None)` (one column, no NULLs, no
    repeats) into `parts` runs of about equal size; None for too few rows. `ids(share)` is
    a sample of them, about that share."""
    if parts < 2:
        return None
    sampled = _cuts(session, ids(SAMPLE), parts)
    found: Sequence[Any] | None = sampled
    if sampled is not None and sampled[0][1] >= parts * MIN_SAMPLE_PER_PART:
        total = sampled[0][1] / SAMPLE
    else:
        found = _cuts(session, ids(None), parts)
        total = found[0][1] if found else 0
    if not found or total < parts * min_rows:
        return None
    bounds = [None, *(row[0] for row in found), None]
    return [_between(low, high) for low, high in itertools.pairwise(bounds)]


def _between(low: int | None, high: int | None) -> Within:
    """Ids above `low` up to `high`; None is no bound."""

    def within(column: Any) -> ColumnElement[bool]:
        above = true() if low is None else column > low
        return and_(above, true() if high is None else column <= high)

    return within


def _cuts(session: Session, ids: Select[Any], parts: int) -> Sequence[Any] | None:
    """The last id of each of the first parts-1 runs of `ids`, each with the count of ids;
    None when there are too few to cut."""
    column = ids.selected_columns[0]
    numbered = ids.add_columns(
        func.row_number().over(order_by=column).label("n"), func.count().over().label("total")
    )
    k = numbered.subquery("k")
    n, total = k.c.n, k.c.total
    # The last row of each of the first parts-1 runs: where n * parts // total steps up.
    last = ((n + 1) * parts) // total > (n * parts) // total
    found = session.execute(
        select(next(iter(k.c)), total).where(n < total - 1, last).order_by(n)
    ).all()
    return found if len(found) == parts - 1 else None


def sort_key(started_at: Any, id_: Any) -> list[ColumnElement[str]]:
    """The two columns of KEY_WIDTH that order rows as ORDER BY started_at, id does."""
    # date_part gives the seconds as a double: exact to the microsecond for any date this
    # side of the year 2200 (2**53 microseconds), and far cheaper than extract's numeric.
    micros = cast(func.date_part(literal_column("'epoch'"), started_at) * 1_000_000, BigInteger)
    offset = literal_column(str(OFFSET), BigInteger)
    started = func.coalesce(func.to_hex(micros + offset), literal(NO_START))
    return [started, func.to_hex(id_ + offset)]


def copy_ranges(
    session: Session,
    statements: Sequence[Select[Any]],
    config: Mapping[str, str],
    convert: Convert,
    batch: int = 500,
) -> Iterator[tuple[int, bytes]]:
    """The rows of statements that each start with `sort_key`, merged in its order without
    it, as CSV blocks; all statements run at once."""
    snapshot = session.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    settings = {**config, **SERIAL}

    def start(statement: Select[Any]) -> tuple[ExitStack, Iterator[memoryview]]:
        """One range's COPY, on a connection of its own, and its lines."""
        opened = ExitStack()
        try:
            connection = opened.enter_context(
                engine.connect().execution_options(isolation_level="REPEATABLE READ")
            )
            raw = connection.connection.driver_connection
            assert raw is not None
            # The first statement of the transaction, so it sees the caller's snapshot.
            set_snapshot = sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot))
            connection.exec_driver_sql(set_snapshot.as_string(raw))
            return opened, opened.enter_context(copying(connection, statement, settings))
        except BaseException:
            opened.close()
            raise

    with ExitStack() as ranges_:
        # Starting a COPY waits until its first row is ready, after the range's whole sort,
        # so each is started in a thread of its own; then this thread reads them all, which
        # costs far less than threads taking turns with the GIL for every line.
        with ThreadPoolExecutor(max_workers=len(statements)) as pool:
            futures = [pool.submit(start, statement) for statement in statements]
            for future in futures:
                if future.exception() is None:
                    ranges_.enter_context(future.result()[0])
        sources = [future.result()[1] for future in futures]  # the first failure, raised
        merged = heapq.merge(*(map(bytes, lines) for lines in sources))

        def batches() -> Iterator[list[bytes]]:
            while lines := [line[KEY_WIDTH:] for line in itertools.islice(merged, batch)]:
                yield lines

        yield from convert(batches())
