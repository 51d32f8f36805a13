"""Turn an abstract OutgoingMessage into what each channel shows."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from conversations.i18n import translator
from conversations.types import OutgoingMessage

TELEGRAM_TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64


@dataclass(frozen=True, slots=True)
class TelegramRendering:
    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, callback_data)


def _reply_hint(message: OutgoingMessage) -> str:
    hints = [translator(lang)._("Reply with a number.") for lang in message.locales]
    return " / ".join(dict.fromkeys(hints))


def render_sms(message: OutgoingMessage) -> str:
    """Text with numbered options, NFC-normalised so Welsh letters cost what they should."""
    parts = [message.text]
    if message.choices and message.list_on_sms:
        options = "\n".join(f"{n} {c.label}" for n, c in enumerate(message.choices, start=1))
        parts += [options, _reply_hint(message)]
    return unicodedata.normalize("NFC", "\n\n".join(parts))


def render_telegram(message: OutgoingMessage) -> TelegramRendering:
    """Plain text (no parse mode, so nothing needs escaping) and inline keyboard rows."""
    text = unicodedata.normalize("NFC", message.text)[:TELEGRAM_TEXT_LIMIT]
    buttons = [(c.label, c.id) for c in message.choices]
    for _label, data in buttons:
        if len(data.encode()) > CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data over {CALLBACK_DATA_LIMIT} bytes: {data!r}")
    # Short labels sit two to a row so a phone shows them without scrolling.
    wide = any(len(label) > 14 for label, _ in buttons)
    per_row = 1 if wide else 2
    rows = tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))
    return TelegramRendering(text=text, buttons=rows)


def render_terminal(message: OutgoingMessage, channel: str) -> str:
    """What `python -m bot chat` prints: SMS text, or Telegram text with typed buttons."""
    if channel == "sms":
        return render_sms(message)
    rendering = render_telegram(message)
    if not message.choices:
        return rendering.text
    buttons = "  ".join(f"[{n}] {c.label}" for n, c in enumerate(message.choices, start=1))
    return f"{rendering.text}\n\n{buttons}"
