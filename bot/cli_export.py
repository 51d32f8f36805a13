"""`python -m bot export responses|tips|events|messages|aggregate --out FILE [filters]`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bot.container import running
from bot.exports import check, export
from bot.settings import ConfigError
from storage.exports.spec import (
    DATASETS,
    FORMATS,
    ExportError,
    ExportRequest,
    parse_choice,
    parse_filters,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def export_command(
    dataset: Annotated[str, typer.Argument(help=" | ".join(DATASETS))],
    out_file: Annotated[Path, typer.Option("--out", help="the file to write (.csv or .xlsx)")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv or xlsx (default: from --out)")
    ] = None,
    consultation: Annotated[
        str | None, typer.Option(help="the consultation id (responses, aggregate)")
    ] = None,
    community: Annotated[
        str | None, typer.Option(help="only these communities (comma-separated)")
    ] = None,
    from_: Annotated[str | None, typer.Option("--from", help="first day, YYYY-MM-DD")] = None,
    to: Annotated[str | None, typer.Option("--to", help="last day, YYYY-MM-DD")] = None,
    finished_only: Annotated[
        bool, typer.Option("--finished-only", help="responses: only finished ones")
    ] = False,
    include_free_text: Annotated[
        bool, typer.Option("--include-free-text", help="include free-text answers")
    ] = False,
    identifiable: Annotated[
        bool, typer.Option("--identifiable", help="add contact codes, numbers and Telegram ids")
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="why (required with --identifiable); audited")
    ] = None,
) -> None:
    """Export data, pseudonymised unless --identifiable; every export is audited."""
    try:
        chosen = parse_choice(dataset, DATASETS, "the dataset")
        suffix = out_file.suffix.lower().lstrip(".")
        kind = parse_choice(fmt or suffix, FORMATS, "the format (--format or a .csv/.xlsx name)")
        if not out_file.parent.is_dir():
            raise ExportError(f"no such folder: {out_file.parent}")
        with running() as container:
            filters = parse_filters(
                {
                    "from": from_,
                    "to": to,
                    "community": community,
                    "consultation": consultation,
                    "finished_only": "yes" if finished_only else "",
                    "include_free_text": "yes" if include_free_text else "",
                },
                container.engine.config.communities,
            )
            request = ExportRequest(
                chosen, kind, "identifiable" if identifiable else "pseudonymised", filters, reason
            )
            check(request)  # refused before the file is touched
            with _written(out_file) as stream, _bar() as progress:
                rows = export(container, request, stream, actor="cli", progress=progress)
    except ExportError as error:
        raise ConfigError(str(error)) from None
    out.print(f"wrote {rows} rows to {out_file} ({request.mode})", markup=False)


@contextmanager
def _written(path: Path) -> Iterator[BinaryIO]:
    """The file, removed again if the export fails half way."""
    try:
        with path.open("wb") as stream:
            yield stream
    except BaseException:
        path.unlink(missing_ok=True)
        raise


@contextmanager
def _bar() -> Iterator[Callable[[int, int | None], None]]:
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    # Drawn on a terminal only: a log or a pipe gets the one summary line and nothing else.
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("export", total=None)

        def advance(done: int, total: int | None) -> None:
            progress.update(task, completed=done, total=total)

        yield advance
