"""The single export function: every export, from the command line or the dashboard, is this."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.exports import aggregate, events, messages, responses, tips
from storage.exports.common import Context, Table
from storage.exports.spec import DATASETS, FORMATS, ExportError, Filters, Mode
from storage.exports.writers import write_csv, write_csv_blocks, write_xlsx

BUILDERS: dict[str, Callable[[Session, Context], Table]] = {
    "responses": responses.table,
    "tips": tips.table,
    "events": events.table,
    "messages": messages.table,
    "aggregate": aggregate.table,
}


def applicable(dataset: str, filters: Filters) -> Filters:
    """Only the filters this dataset honours, so the audit log records what really applied."""
    if dataset == "aggregate":
        return Filters(consultation=filters.consultation)
    if dataset == "responses":
        return filters
    return replace(
        filters,
        consultation=None,
        finished_only=False,
        include_free_text=filters.include_free_text and dataset == "messages",
    )


def write_export(
    session: Session,
    dataset: str,
    fmt: str,
    stream: BinaryIO,
    *,
    mode: Mode,
    filters: Filters,
    timezone: str,
    threshold: int,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Writes one dataset to `stream` and returns its row count. `mode` has no default:
    pseudonymised leaves out every identifier; identifiable adds them."""
    if dataset not in BUILDERS:
        raise ExportError(f"the dataset must be one of {', '.join(DATASETS)}, not {dataset!r}")
    if fmt not in FORMATS:
        raise ExportError(f"the format must be csv or xlsx, not {fmt!r}")
    if mode not in ("pseudonymised", "identifiable"):
        raise ExportError(f"the anonymity mode must be pseudonymised or identifiable: {mode!r}")
    filters = applicable(dataset, filters)
    context = Context(mode=mode, filters=filters, timezone=timezone, threshold=threshold)
    table = BUILDERS[dataset](session, context)
    total: int | None = None
    if progress is not None and table.query is not None:
        total = session.scalar(select(func.count()).select_from(table.query.subquery()))

    def report(done: int) -> None:
        if progress is not None:
            progress(done, total)

    if fmt == "xlsx":
        return write_xlsx(stream, table.header, table.rows, report)
    blocks = table.csv_blocks()
    if blocks is not None:
        return write_csv_blocks(stream, table.header, blocks, report)
    return write_csv(stream, table.header, table.rows, report)
