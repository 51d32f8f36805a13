"""`python -m bot chat`: talk to the bot in the terminal as a parent would."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from bot.inbound import InboundService, utcnow
from conversations.render import render_terminal
from conversations.types import Channel, InboundKind, InboundMessage, OutgoingMessage
from storage import outbox
from storage.db import transaction

DEFAULT_ADDRESS = {Channel.SMS: "+447700900123", Channel.TELEGRAM: "700900123"}


class TerminalChat:
    """Feeds typed lines through the real service and shows what the outbox would send."""

    def __init__(
        self,
        service: InboundService,
        channel: Channel,
        address: str,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.service = service
        self.channel = channel
        self.address = address
        self.clock = clock
        self.buttons: tuple[str, ...] = ()
        self.contact_id: int | None = None

    def event_for(self, line: str) -> InboundMessage:
        """A typed line as the channel would deliver it: on Telegram '2' presses button 2."""
        base = InboundMessage(
            channel=self.channel,
            address=self.address,
            provider_id=f"chat-{uuid.uuid4().hex[:24]}",
            received_at=self.clock(),
            text=line,
        )
        text = line.strip()
        if self.channel is Channel.TELEGRAM:
            if text.isdigit() and 1 <= int(text) <= len(self.buttons):
                choice = self.buttons[int(text) - 1]
                return replace(base, kind=InboundKind.CHOICE, text="", choice_id=choice)
            command, _, payload = text.partition(" ")
            if command == "/start":
                return replace(base, kind=InboundKind.START, text="", payload=payload or None)
        return base

    def send(self, line: str) -> list[str]:
        """Deliver one line and return the bot's answers, rendered for the channel."""
        receipt = self.service.receive(self.event_for(line), simulated=True)
        self.contact_id = receipt.contact_id
        return self.flush()

    def flush(self) -> list[str]:
        """What the bot has queued for this parent (a reply, or a tip or consultation)."""
        if self.contact_id is None:
            return []
        answers: list[str] = []
        last: OutgoingMessage | None = None
        with transaction(self.service.sessions) as session:
            for row in outbox.queued_for_contact(session, self.contact_id):
                kind = outbox.payload_type(row.message)
                if kind == outbox.DOCUMENT and self.channel is Channel.SMS:
                    # As the SMS sender does: failed at once, never retried.
                    row.status, row.updated_at = "failed", self.clock()
                    row.error_code, row.error_detail = "unsupported", "SMS cannot carry files"
                    continue
                if kind == outbox.TEXT:
                    last = outbox.message_of(row)
                    answers.append(render_terminal(last, self.channel.value))
                elif kind == outbox.DOCUMENT:
                    answers.append(document_placeholder(outbox.document_of(row.message)))
                row.status, row.delivery_status, row.sent_at = "sent", "delivered", self.clock()
                row.provider_message_id = f"terminal-{row.id}"
        if last is not None:
            self.buttons = tuple(choice.id for choice in last.choices)
        return answers


def document_placeholder(document: outbox.Document) -> str:
    """A file as the terminal shows it: `[calendar file: rhyme-time.ics]`, then its caption."""
    what = "calendar file" if document.filename.lower().endswith(".ics") else "file"
    placeholder = f"[{what}: {document.filename}]"
    return f"{placeholder}\n{document.caption}" if document.caption else placeholder


def run(chat: TerminalChat, lines: Iterable[str], write: Callable[[str], None]) -> None:
    interactive = sys.stdin.isatty()
    for line in lines:
        for answer in chat.send(line.rstrip("\n")):
            write(answer)
        if interactive:
            write("")
