"""`python -m bot …`: the processes and the operator's commands named in the contract."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console

from bot import chat as terminal_chat
from bot import logs
from bot.cli_consultation import consultation_app
from bot.cli_content import content_app
from bot.cli_event import event_app
from bot.cli_export import export_command
from bot.cli_outbox import outbox_app
from bot.cli_user import user_app
from bot.container import running
from bot.settings import ConfigError, Settings
from conversations.types import Channel

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Early Learning Communities bot",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
telegram_app = typer.Typer(no_args_is_help=True, help="Telegram set-up.")
app.add_typer(telegram_app, name="telegram")
app.add_typer(content_app, name="content")
app.add_typer(outbox_app, name="outbox")
app.add_typer(consultation_app, name="consultation")
app.add_typer(event_app, name="event")
app.add_typer(user_app, name="user")
app.command("export")(export_command)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line, however long


def _logging() -> None:
    logs.configure(os.environ.get("LOG_LEVEL", "INFO"))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every database migration (serve does this by itself)."""
    with running():
        out.print("database is up to date")


@app.command()
def seed() -> None:
    """Load the demo content: the communities and, into an empty library, the shipped tips."""
    with running() as container:
        tips = container.engine.config.tips
        communities = len(container.engine.config.communities)
        out.print(f"{communities} communities; {len(tips) if tips else 0} tips in the library")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
) -> None:
    """Everything in one process: webhooks, dashboard and API, dispatcher and clock."""
    _run_web(host, port, with_workers=True)


@app.command()
def web(
    host: Annotated[str, typer.Option(help="address to listen on")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int | None, typer.Option(help="port (default $PORT or 8000)")] = None,
) -> None:
    """Webhooks, dashboard and API only (the Procfile's web process)."""
    _run_web(host, port or int(os.environ.get("PORT", "8000")), with_workers=False)


def _run_web(host: str, port: int, with_workers: bool) -> None:
    import uvicorn

    from bot.web import create_app

    _logging()
    with running() as container:
        app_ = create_app(container, with_workers=with_workers)
        # log_config=None: uvicorn's records go through our handler (bot/logs.py).
        uvicorn.run(app_, host=host, port=port, log_level="info", log_config=None)


@app.command()
def worker() -> None:
    """The outbox dispatcher and inbound sweeper (the Procfile's worker process)."""
    import asyncio
    import signal

    from bot.runtime import run_workers

    _logging()
    with running() as container:

        async def main() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await run_workers(container, stop, poll=False)

        asyncio.run(main())


@app.command()
def clock() -> None:
    """The scheduler: one pass a minute (the Procfile's clock process)."""
    from bot.clock import run_clock

    _logging()
    with running() as container:
        run_clock(container)


@app.command()
def tick(at: Annotated[str, typer.Option(help="the instant, ISO 8601 with offset")]) -> None:
    """Run one scheduler pass as of that instant, then exit."""
    from bot.clock import run_pass

    now = parse_instant(at)
    with running() as container:
        written = run_pass(container, now)
        out.print(
            f"pass as of {now.isoformat()}: "
            + (", ".join(f"{k} {v}" for k, v in written.items()) or "nothing due")
        )


@app.command()
def dispatch(
    once: Annotated[bool, typer.Option("--once", help="send what is due, then exit")] = False,
    at: Annotated[str | None, typer.Option(help="as of this instant (ISO 8601)")] = None,
) -> None:
    """Send everything due in the outbox as of now (or --at), then exit."""
    import asyncio

    from bot.runtime import build_dispatcher

    if not once:
        raise ConfigError("dispatch needs --once (the worker process dispatches continuously)")
    with running() as container:
        now = parse_instant(at) if at else None
        dispatcher = build_dispatcher(container)

        async def main() -> int:
            try:
                return await dispatcher.drain(now)
            finally:
                await dispatcher.close()

        out.print(f"attempted {asyncio.run(main())} messages")


@app.command()
def retention(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="only count what would be removed")
    ] = False,
    at: Annotated[str | None, typer.Option(help="as of this instant (ISO 8601)")] = None,
) -> None:
    """Enforce the retention periods now (the clock does it nightly); counts per kind."""
    from bot.retention import run_now

    with running() as container:
        now = parse_instant(at) if at else datetime.now(UTC)
        counts = run_now(container, now, dry_run)
    verb = "would remove" if dry_run else "removed"
    for kind, count in counts.items():
        out.print(f"{verb} {kind.replace('_', ' ')}: {count}")


@telegram_app.command("set-webhook")
def set_webhook() -> None:
    """Register PUBLIC_BASE_URL/webhooks/telegram with Telegram, with the secret token."""
    import asyncio

    from bot.senders import TelegramSender

    settings = Settings()
    if not (settings.telegram_bot_token and settings.public_base_url):
        raise ConfigError("set TELEGRAM_BOT_TOKEN and PUBLIC_BASE_URL first")
    if not settings.telegram_webhook_secret:
        raise ConfigError("set TELEGRAM_WEBHOOK_SECRET (1-256 of A-Z a-z 0-9 _ -) first")
    url = f"{settings.public_base_url.rstrip('/')}/webhooks/telegram"
    sender = TelegramSender(settings.telegram_bot_token, settings.telegram_api_base_url)

    async def main() -> None:
        async with sender.bot as bot:
            await bot.set_webhook(
                url,
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=["message", "callback_query"],
            )

    asyncio.run(main())
    out.print(f"webhook set to {url}")


def parse_instant(value: str) -> datetime:
    """An ISO 8601 instant; one without an offset is read in Europe/London."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"not an ISO 8601 instant: {value!r} (e.g. 2026-03-10T10:00+00:00)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(Settings().timezone))
    return parsed.astimezone(UTC)


@app.command()
def chat(
    channel: Annotated[str, typer.Option(help="sms or telegram")] = "sms",
    as_: Annotated[str | None, typer.Option("--as", help="the parent's address")] = None,
) -> None:
    """Talk to the bot in the terminal as a parent would, through the real engine and database."""
    try:
        chosen = Channel(channel)
    except ValueError:
        raise ConfigError(f"--channel must be sms or telegram, not {channel!r}") from None
    with running() as container:
        address = as_ or terminal_chat.DEFAULT_ADDRESS[chosen]
        session = terminal_chat.TerminalChat(container.inbound, chosen, address)
        if sys.stdin.isatty():
            hint = "/start bettws" if chosen is Channel.TELEGRAM else "Hi (or: bettws)"
            out.print(f"Chatting over {chosen.value} as {address}. Try: {hint}. Ctrl-D to leave.")
        terminal_chat.run(session, sys.stdin, lambda text: out.print(text, markup=False))


def main() -> None:
    """Entry point: a one-line error instead of a traceback for anything the user can fix."""
    try:
        app()
    except (ConfigError, ValidationError, FileNotFoundError) as error:
        err.print(f"error: {_one_line(error)}", markup=False)
        sys.exit(2)


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'settings'}: {first['msg']}"
    return str(error).splitlines()[0] if str(error) else type(error).__name__


if __name__ == "__main__":
    main()


__all__ = ["Settings", "app", "main"]
