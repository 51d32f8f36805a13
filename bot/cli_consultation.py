"""`python -m bot consultation validate|launch|results|list|close`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bot import consultation_yaml
from bot.consultation_table import print_results
from bot.consultations import finish_fan_out, text_languages
from bot.consultations import launch as launch_consultation
from bot.consultations import plan as plan_launch
from bot.container import running
from bot.settings import ConfigError, Settings
from conversations.consultations.model import Consultation
from conversations.types import EngineConfig
from storage import consultations as store
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_results import results as compute_results
from storage.db import transaction

consultation_app = typer.Typer(no_args_is_help=True, help="Consultations authored as YAML.")
out = Console(highlight=False, soft_wrap=True)


def audience_languages(path: Path, config: EngineConfig) -> tuple[str, ...]:
    """The languages every text needs: those of the audience's community, else of all."""
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError, ValueError):
        raw = None  # the full load reports the problem with its line
    return text_languages(raw, config)


def load_or_fail(path: Path, config: EngineConfig) -> Consultation:
    """The consultation in `path`, or every problem printed with its line and a non-zero exit."""
    consultation, problems = consultation_yaml.load(path, audience_languages(path, config))
    if consultation is None:
        for problem in problems:
            out.print(f"{path.name}: {problem}", markup=False)
        raise ConfigError(f"{len(problems)} problem(s) in {path.name}; fix them and try again")
    return consultation


@consultation_app.command("validate")
def validate(file: Annotated[Path, typer.Argument(help="a consultation .yaml file")]) -> None:
    """Check a consultation file and report every problem with its line."""
    settings = Settings()
    consultation = load_or_fail(file, settings.engine_config())
    count = len(consultation.questions)
    languages = ", ".join(consultation.languages())
    out.print(f"{file.name}: OK, {count} questions in {languages}", markup=False)


@consultation_app.command("launch")
def launch(
    file: Annotated[Path, typer.Argument(help="a consultation .yaml file")],
    at: Annotated[str | None, typer.Option(help="when to send it (ISO 8601); default now")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="show recipients and cost; launch nothing")
    ] = False,
) -> None:
    """Send a consultation now or at a time, after showing its recipients and SMS cost."""
    from bot.cli import parse_instant

    when = parse_instant(at) if at else None
    with running() as container:
        consultation = load_or_fail(file, container.engine.config)
        if dry_run:
            planned = plan_launch(container, consultation, when)
        else:
            # No thread: this process ends when the command does, so it queues the rest here.
            planned = launch_consultation(
                container, consultation, when, actor="cli", background=False
            )
        for line in planned.summary():
            out.print(line, markup=False)
        if dry_run:
            out.print("dry run: nothing was launched")
        elif planned.launch_at <= container.clock():
            out.print(f"launched {consultation.id}; sending has started")
            queued = finish_fan_out(container, consultation.id)
            out.print(f"the rest of its audience is queued ({queued} more messages)")
        else:
            out.print(f"scheduled {consultation.id} for {planned.launch_at.isoformat()}")


@consultation_app.command("results")
def results(consultation_id: Annotated[str, typer.Argument(help="the consultation id")]) -> None:
    """Counts, percentages, response rates and breakdowns, with small groups hidden."""
    with running() as container, transaction(container.sessions) as session:
        try:
            found = compute_results(
                session, consultation_id, container.settings.small_cell_threshold
            )
        except KeyError:
            raise ConfigError(f"no consultation with id {consultation_id!r}") from None
    print_results(out, found)


@consultation_app.command("list")
def list_() -> None:
    """Every consultation with its status and dates."""
    with running() as container, transaction(container.sessions) as session:
        rows = session.scalars(select(ConsultationRow).order_by(ConsultationRow.launch_at)).all()
    table = Table("id", "status", "launch", "closes", "recipients")
    for row in rows:
        closes = row.closes_at.isoformat() if row.closes_at else "-"
        # A draft (saved from the dashboard) has no launch time yet.
        launch = "-" if row.status == "draft" else row.launch_at.isoformat()
        table.add_row(row.id, row.status, launch, closes, str(row.recipients or 0))
    out.print(table)


@consultation_app.command("close")
def close(consultation_id: Annotated[str, typer.Argument(help="the consultation id")]) -> None:
    """Close a consultation now: later answers are thanked but not stored."""
    with running() as container, transaction(container.sessions) as session:
        row = session.get(ConsultationRow, consultation_id)
        if row is None:
            raise ConfigError(f"no consultation with id {consultation_id!r}")
        if row.status == "draft":
            raise ConfigError(f"{consultation_id!r} is a draft: it was never launched")
        store.close(session, consultation_id, container.clock())
    out.print(f"closed {consultation_id}")
