"""The three webhook apps `inbound.py` serves under uvicorn: ours, the ceiling and a plain bot.

Each is a factory reading BENCH_DATABASE_URL (and, for the plain bot, BENCH_BOT_API) from the
environment, since uvicorn runs it in a child process.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, create_engine, insert

SECRET = "bench-webhook-secret-not-real"
TOKEN = "123456:BENCH-not-a-real-token"
PATH = "/webhooks/telegram"


def ours() -> FastAPI:
    """`create_app` as `python -m bot web` serves it: no token, so nothing is ever sent."""
    from bot.container import build, reload_tips
    from bot.settings import Settings
    from bot.web import create_app

    settings = Settings(  # type: ignore[call-arg]
        database_url=os.environ["BENCH_DATABASE_URL"],
        secret_key="bench-not-secret",
        telegram_webhook_secret=SECRET,
        _env_file=None,
    )
    container = build(settings)
    reload_tips(container)
    return create_app(container)


metadata = MetaData()
updates = Table(
    "bench_updates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("update_id", BigInteger, nullable=False),
    Column("chat", String(32), nullable=False),
)


def ceiling() -> FastAPI:
    """A bare endpoint: check the secret, parse the JSON, one INSERT, answer."""
    engine = create_engine(os.environ["BENCH_DATABASE_URL"], pool_size=10)
    metadata.create_all(engine)
    app = FastAPI()

    @app.post(PATH)
    def webhook(request_body: dict[str, Any], request: Request) -> JSONResponse:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return JSONResponse({"ok": False}, status_code=403)
        source = request_body.get("message") or request_body.get("callback_query", {})
        chat = (source.get("chat") or source.get("message", {}).get("chat", {})).get("id", 0)
        with engine.begin() as connection:
            connection.execute(
                insert(updates).values(update_id=request_body["update_id"], chat=str(chat))
            )
        return JSONResponse({"ok": True})

    return app


def plain_bot() -> FastAPI:
    """What a developer would write: PTB's ConversationHandler with PicklePersistence."""
    from telegram import Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        CommandHandler,
        ContextTypes,
        ConversationHandler,
        MessageHandler,
        PicklePersistence,
        filters,
    )

    consent, kind, birth, name, more, confirm = range(6)
    folder = Path(tempfile.mkdtemp())

    def step(key: str, then: int) -> Any:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            query = update.callback_query
            value = query.data if query else (update.message.text if update.message else "")
            context.user_data[key] = value  # type: ignore[index]
            return then

        return handle

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.user_data["community"] = " ".join(context.args or []) or "bettws"  # type: ignore[index]
        return consent

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.user_data["confirmed"] = True  # type: ignore[index]
        return ConversationHandler.END

    text = filters.TEXT & ~filters.COMMAND
    warnings.filterwarnings("ignore", message="If 'per_message=False'")  # one chat, one flow
    onboarding = ConversationHandler(
        entry_points=[CommandHandler("start", start)],
        states={
            consent: [CallbackQueryHandler(step("consent", kind))],
            kind: [CallbackQueryHandler(step("kind", birth))],
            birth: [MessageHandler(text, step("birth", name))],
            name: [MessageHandler(text, step("name", more))],
            more: [CallbackQueryHandler(step("more", confirm))],
            confirm: [CallbackQueryHandler(done)],
        },
        fallbacks=[],
        name="onboarding",
        persistent=True,
    )
    application = (
        Application.builder()
        .token(TOKEN)
        .base_url(os.environ["BENCH_BOT_API"] + "/bot")
        .persistence(PicklePersistence(folder / "bot.pickle"))
        .updater(None)
        .build()
    )
    application.add_handler(onboarding)
    app = FastAPI()

    @app.on_event("startup")
    async def startup() -> None:
        await application.initialize()

    @app.on_event("shutdown")
    async def shutdown() -> None:
        await application.shutdown()

    @app.post(PATH)
    async def webhook(request: Request) -> JSONResponse:
        if request.headers.get("X-Telegram-Bot-Api-Secret-Token") != SECRET:
            return JSONResponse({"ok": False}, status_code=403)
        update = Update.de_json(await request.json(), application.bot)
        await application.process_update(update)
        return JSONResponse({"ok": True})

    return app
