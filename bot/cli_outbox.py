"""`python -m bot outbox status|failed|retry`: delivery health for staff, before the dashboard."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bot.container import running
from bot.settings import ConfigError
from storage import delivery
from storage.db import transaction

outbox_app = typer.Typer(no_args_is_help=True, help="Delivery health: counts, failures, retries.")
out = Console(highlight=False, soft_wrap=True, width=500)


@outbox_app.command("status")
def status() -> None:
    """How many messages are queued, sending, sent, failed or cancelled, per channel."""
    with running() as container, transaction(container.sessions) as session:
        for channel, state, count in delivery.summary(session):
            out.print(f"{channel:<9} {state:<10} {count}", markup=False)


@outbox_app.command("failed")
def failed(limit: Annotated[int, typer.Option(help="how many, newest first")] = 20) -> None:
    """Messages that could not be delivered, with the reason (no numbers, no message text)."""
    with running() as container, transaction(container.sessions) as session:
        for row, code in delivery.failed(session, limit):
            when = row.updated_at.isoformat(timespec="seconds") if row.updated_at else "-"
            error = " ".join(filter(None, [row.error_code, row.error_detail])) or "-"
            line = (
                f"#{row.id} {when} {code or '(erased)'} {row.channel} {row.kind} "
                f"attempts={row.attempts} error: {error}"
            )
            out.print(line, markup=False)


@outbox_app.command("retry")
def retry(
    outbox_id: Annotated[int, typer.Argument(help="the id shown by `outbox failed`")],
) -> None:
    """Send a failed message again (after fixing what made it fail)."""
    with running() as container, transaction(container.sessions) as session:
        if not delivery.retry(session, outbox_id, container.clock()):
            raise ConfigError(f"message {outbox_id} is not a failed message")
    out.print(f"message {outbox_id} queued again")
