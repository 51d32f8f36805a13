"""`python -m bot user create`: staff accounts for the dashboard."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.console import Console

from bot.container import running
from bot.settings import ConfigError
from bot.staff import StaffService, check_account

user_app = typer.Typer(no_args_is_help=True, help="Staff accounts for the dashboard.")
out = Console(highlight=False, soft_wrap=True)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise ConfigError("the two passwords are not the same")
    return first


@user_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="the name to sign in with")],
    role: Annotated[str, typer.Option(help="worker, coordinator or admin")],
    community: Annotated[
        list[str] | None,
        typer.Option(help="a community id (a worker one, a coordinator one or more)"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create a staff account; the password is asked for (or read from stdin) and hashed."""
    communities = list(community or [])
    with running() as container:
        check_account(role, communities, container.engine.config.communities)
        password = _read_password(password_stdin)
        who = StaffService(container.sessions, container.clock).create(
            username, password, role, communities
        )
    where = f" in {', '.join(who.communities)}" if who.communities else ""
    out.print(f"created {who.role} {who.username}{where}", markup=False)
