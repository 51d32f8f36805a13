"""`python -m bot event create|list|cancel|attendance|rsvps`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bot import event_yaml
from bot.container import running
from bot.events import cancel as cancel_event
from bot.events import create as create_event
from bot.settings import ConfigError
from conversations.events.model import Event
from conversations.types import EngineConfig
from storage import event_rsvps as rsvp_store
from storage.db import transaction
from storage.event_models import Event as EventRow

event_app = typer.Typer(no_args_is_help=True, help="Events authored as YAML.")
out = Console(highlight=False, soft_wrap=True)


def load_or_fail(path: Path, config: EngineConfig, community: str | None = None) -> Event:
    """The event in `path`, or every problem printed with its line and a non-zero exit."""
    languages = tuple(
        dict.fromkeys(lang for c in config.communities.values() for lang in c.languages)
    )
    event, problems = event_yaml.load(path, languages, tuple(config.communities))
    if event is not None:
        needed = set(config.communities[event.community].languages)
        missing = sorted(needed - set(event.languages()))
        if not missing:
            return event
    for problem in problems:
        out.print(f"{path.name}: {problem}", markup=False)
    raise ConfigError(f"{len(problems) or 1} problem(s) in {path.name}; fix them and try again")


@event_app.command("create")
def create(file: Annotated[Path, typer.Argument(help="an event .yaml file")]) -> None:
    """Create and announce an event; run again after editing the file to change it."""
    with running() as container:
        event = load_or_fail(file, container.engine.config)
        outcome = create_event(container, event, actor="cli")
        if outcome.created:
            out.print(f"announced {event.id} to {outcome.messages} residents")
        else:
            out.print(f"updated {event.id}; {outcome.messages} residents told")


@event_app.command("list")
def list_() -> None:
    """Every event with its time, status and answers so far."""
    with running() as container, transaction(container.sessions) as session:
        rows = session.scalars(select(EventRow).order_by(EventRow.starts_at)).all()
        lines = []
        for row in rows:
            seen = rsvp_store.counts(session, row.id)
            capacity = f"{row.capacity} places" if row.capacity else "no limit"
            lines.append(
                f"{row.id}  {row.starts_at.isoformat()}  {row.community_id}  {row.status}  "
                f"{capacity}  yes {seen.get('yes', 0)}, maybe {seen.get('maybe', 0)}, "
                f"waiting {seen.get('waitlist', 0)}"
            )
    for line in lines or ["no events yet"]:
        out.print(line, markup=False)


@event_app.command("cancel")
def cancel(event_id: Annotated[str, typer.Argument(help="the event id")]) -> None:
    """Cancel an event; everyone who said yes, maybe or is waiting is told."""
    with running() as container:
        told = cancel_event(container, event_id)
    out.print(f"cancelled {event_id}; {told} residents told")


@event_app.command("attendance")
def attendance(
    event_id: Annotated[str, typer.Argument(help="the event id")],
    codes: Annotated[list[str], typer.Argument(help="residents' codes, like 7K3D-Q9XA")],
    absent: Annotated[bool, typer.Option("--absent", help="mark as not attended")] = False,
) -> None:
    """Mark who came (by their codes from `event rsvps`)."""
    with running() as container, transaction(container.sessions) as session:
        if session.get(EventRow, event_id) is None:
            raise ConfigError(f"no event with id {event_id!r}")
        marked = rsvp_store.mark_attendance(session, event_id, codes, not absent)
    out.print(f"marked {marked} of {len(codes)} as {'absent' if absent else 'attended'}")


@event_app.command("rsvps")
def rsvps(
    event_id: Annotated[str, typer.Argument(help="the event id")],
    out_file: Annotated[Path | None, typer.Option("--out", help="write a CSV file")] = None,
) -> None:
    """Who answered what, and who came, by pseudonymous code (no names or numbers)."""
    with running() as container, transaction(container.sessions) as session:
        if session.get(EventRow, event_id) is None:
            raise ConfigError(f"no event with id {event_id!r}")
        rows = rsvp_store.rsvp_rows(session, event_id)
        seen = rsvp_store.counts(session, event_id)
    header = ("code", "language", "channel", "answer", "attended")
    if out_file is not None:
        with out_file.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(
                (c, lang, ch, a or "", "" if at is None else "yes" if at else "no")
                for c, lang, ch, a, at in rows
            )
        out.print(f"wrote {len(rows)} rows to {out_file}")
        return
    table = Table(*header)
    for code, lang, channel, answer, attended in rows:
        table.add_row(code, lang, channel, answer or "-", "" if attended is None else str(attended))
    out.print(table)
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(seen.items())))
