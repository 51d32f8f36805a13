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


# What our onboarding says at each step (English, as `ours` queues it), for the plain bot to
# send the same: (text, buttons) per message, after acknowledging a pressed button.
WELCOME = (
    "Hello from the Feltham Early Learning Community! We send short, free tips to help your "
    "child learn and grow, from pregnancy to age five."
)
CONSENT = (
    "Before we start: we keep your contact details, your language and your children's birth or "
    "due dates, so we can send tips that fit their age. We never sell or share them. Full "
    "privacy notice: http://127.0.0.1:8000/privacy Do you agree?"
)
DONE = (
    "All done, thank you! You'll get a short tip each Tuesday at 10:00 that fits your child's "
    "age. Send TIPS to change the day, HELP to see what I can do, or STOP to stop messages."
)
TIP = (
    "Here is your first tip:\n\nTantrums are normal at this age. If one happens in a queue, stay "
    "calm and close and keep words few: \"You're cross. I'm here.\" Talk about it later."
)
Say = list[tuple[str, list[tuple[str, str]]]]
REPLIES: dict[str, Say] = {
    "start": [(WELCOME, []), (CONSENT, [("consent:yes", "Yes"), ("consent:no", "No")])],
    "consent": [
        ("Thank you.", []),
        (
            "Is this a baby on the way, or a child who is already born?",
            [("kind:due", "Baby on the way"), ("kind:born", "Already born")],
        ),
    ],
    "kind": [
        (
            "What is your child's date of birth? For example: 08/05/2026 or 8 May 2026",
            [("back", "Go back")],
        )
    ],
    "birth": [
        (
            "What would you like me to call your child? A first name or a nickname is fine, "
            "or choose Skip.",
            [("skip", "Skip")],
        )
    ],
    "name": [
        (
            "Would you like to add another child?",
            [("more:yes", "Add another child"), ("more:no", "No, that's all")],
        )
    ],
    "more": [
        (
            "Here is what I have:\n- {name}: born {birth}\n\nIs that right?",
            [("confirm:yes", "Yes, that's right"), ("confirm:restart", "Start again")],
        )
    ],
    "confirm": [(DONE, []), (TIP, [])],
}


def plain_bot() -> FastAPI:
    """What a developer would write: PTB's ConversationHandler with PicklePersistence.

    Each step replies as ours does (BENCH_BOT_API, the fake Bot API): a pressed button is
    answered and its keyboard taken away, then the step's messages are sent. With
    BENCH_PLAIN_SILENT=1 it replies nothing: only the conversation's state moves, which is less
    than any bot a parent could use does, kept as the cheapest possible reference.
    """
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
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
    silent = os.environ.get("BENCH_PLAIN_SILENT") == "1"

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE, step: str) -> None:
        if silent:
            return
        query = update.callback_query
        if query:
            await query.answer()
            await query.edit_message_reply_markup(None)
        chat = update.effective_chat
        assert chat is not None
        for text, buttons in REPLIES[step]:
            keyboard = [
                [InlineKeyboardButton(label, callback_data=data)] for data, label in buttons
            ]
            markup = InlineKeyboardMarkup(keyboard) if keyboard else None
            await context.bot.send_message(
                chat.id, text.format_map(context.user_data), reply_markup=markup
            )  # type: ignore[arg-type]

    def step(key: str, then: int) -> Any:
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            query = update.callback_query
            value = query.data if query else (update.message.text if update.message else "")
            context.user_data[key] = value  # type: ignore[index]
            await reply(update, context, key)
            return then

        return handle

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.user_data["community"] = " ".join(context.args or []) or "bettws"  # type: ignore[index]
        await reply(update, context, "start")
        return consent

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        context.user_data["confirmed"] = True  # type: ignore[index]
        await reply(update, context, "confirm")
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
