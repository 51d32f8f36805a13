"""`python -m bot content import|export|preview`: the tip library as CSV or XLSX."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.container import reload_tips, running
from bot.content_files import read_rows, write_rows
from bot.settings import ConfigError
from conversations.content.preview import preview
from conversations.content.validate import parse_rows
from conversations.i18n import translator
from storage import tips
from storage.db import transaction

content_app = typer.Typer(no_args_is_help=True, help="The tip library (CSV or XLSX).")
out = Console(highlight=False, soft_wrap=True)


@content_app.command("import")
def import_(file: Annotated[Path, typer.Argument(help=".csv or .xlsx")]) -> None:
    """Validate every row, then replace the library; one bad row changes nothing."""
    with running() as container:
        rows = read_rows(file)
        parsed, errors = parse_rows(rows, container.engine.config.languages)
        if errors:
            for error in errors:
                out.print(f"{file.name}: {error}", markup=False)
            raise ConfigError(f"{len(errors)} problem(s) in {file.name}; nothing was imported")
        with transaction(container.sessions) as session:
            kept, retired = tips.replace_library(session, parsed, container.clock())
        reload_tips(container)
        out.print(f"imported {kept} tips from {file.name}; retired {retired}")


@content_app.command("export")
def export(file: Annotated[Path, typer.Argument(help=".csv or .xlsx")]) -> None:
    """Write the library in the same format `content import` reads."""
    with running() as container:
        library = container.engine.config.tips
        assert library is not None
        write_rows(file, library.tips, container.engine.config.languages)
        out.print(f"wrote {len(library)} tips to {file}")


@content_app.command("preview")
def preview_(
    birth: Annotated[str | None, typer.Option(help="birth date, YYYY-MM-DD")] = None,
    due: Annotated[str | None, typer.Option(help="due date, YYYY-MM-DD")] = None,
    weeks: Annotated[int, typer.Option(help="how many weeks ahead")] = 8,
    lang: Annotated[str, typer.Option(help="en or cy")] = "en",
    start: Annotated[str | None, typer.Option(help="from this date (default today)")] = None,
) -> None:
    """Show what a family would receive over the next weeks, with dates."""
    if (birth is None) == (due is None):
        raise ConfigError("give exactly one of --birth DATE or --due DATE")
    birth_date, due_date = _date(birth, "--birth"), _date(due, "--due")
    with running() as container:
        library = container.engine.config.tips
        assert library is not None
        first = _date(start, "--start") or date.today()
        schedule = preview(
            library, birth_date=birth_date, due_date=due_date, start=first, weeks=weeks
        )
        tr = translator(lang)
        table = Table("date", "tip", "text", show_lines=True)
        for day, tip in schedule:
            table.add_row(tr.date(day), tip.id, tip.text(lang))
        out.print(table)


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{option} must be a date like 2025-03-12, not {value!r}") from None
