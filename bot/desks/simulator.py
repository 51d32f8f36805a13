"""The service behind the dashboard's simulator: a staff member talks to the real engine.

Messages go through the same InboundService as Telegram and Twilio, as a contact marked
`is_simulated`: results, counts and exports leave it out and the dispatcher never hands its
messages to a provider. The simulator delivers them itself, like `python -m bot chat`.
Who started which conversation is the audit log's `simulator.start` entry (its id is the
session id), so any web process can serve it and nothing needs a new table.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

from admin.auth import N_
from admin.ports.simulator import Bubble, Button, Conversation, SimulatorRefused
from bot.chat import document_placeholder
from bot.inbound import InboundService
from conversations.render import render_sms, render_telegram
from conversations.sms import count_segments
from conversations.types import Channel, InboundKind, InboundMessage
from storage import audit, outbox
from storage import simulator as sim
from storage.db import transaction
from storage.models import Contact, Outbox
from storage.models import InboundMessage as InboundRow

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from bot.container import Container

MAX_TEXT = 1600  # ten SMS segments: more than any parent types


class SimulatorDesk:
    def __init__(self, container: Container) -> None:
        self._container = container
        # Follows the container's clock (tests move it), like every other desk.
        self._service = InboundService(
            container.sessions,
            container.engine,
            lambda: container.clock(),
            container.settings.timezone,
        )

    def start(self, who: str, community_id: str, channel: str, language: str) -> int:
        kind = Channel(channel)
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            self._end_open(session, who)
            address = (
                sim.free_sms_number(session) if kind is Channel.SMS else sim.telegram_chat_id()
            )
        if address is None:
            raise SimulatorRefused(N_("Every simulator phone number is in use. Try again later."))
        first = InboundMessage(
            channel=kind,
            address=address,
            provider_id=_provider_id(),
            received_at=now,
            text=community_id,  # a real parent's first SMS word names the community
        )
        if kind is Channel.TELEGRAM:  # and on Telegram the deep link /start <community>
            first = replace(first, kind=InboundKind.START, text="", payload=community_id)
        receipt = self._service.receive(first, simulated=True)
        with transaction(self._container.sessions) as session:
            contact = session.get_one(Contact, receipt.contact_id)
            entry = audit.record(
                session,
                at=now,
                actor=who,
                action=sim.START_ACTION,
                subject=f"contact:{contact.code}",
                community_id=community_id,
                detail={"channel": kind.value, "language": language},
            )
            session.flush()
            return entry.id

    def current(self, who: str) -> int | None:
        with transaction(self._container.sessions) as session:
            entry = sim.latest_start(session, who)
            if entry is None or _contact(session, entry.subject) is None:
                return None
            return entry.id

    def conversation(self, who: str, session_id: int) -> Conversation | None:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            entry = sim.start_entry(session, session_id, who)
            contact = _contact(session, entry.subject) if entry else None
            if entry is None or contact is None:
                return None
            detail = entry.detail or {}
            channel = str(detail.get("channel", "sms"))
            _deliver(session, contact.id, channel, now)
            return Conversation(
                session_id=entry.id,
                channel=channel,
                language=str(detail.get("language", "en")),
                community_id=contact.community_id,
                code=contact.code,
                bubbles=_transcript(session, contact.id, channel),
            )

    def send(self, who: str, session_id: int, text: str = "", choice: str = "") -> bool:
        with transaction(self._container.sessions) as session:
            entry = sim.start_entry(session, session_id, who)
            contact = _contact(session, entry.subject) if entry else None
            if entry is None or contact is None:
                return False
            identity = sim.identity_of(session, contact.id)
            if identity is None:
                return False
            channel, address = Channel(identity.channel), identity.address
        message = InboundMessage(
            channel=channel,
            address=address,
            provider_id=_provider_id(),
            received_at=self._container.clock(),
            text=text[:MAX_TEXT],
        )
        if channel is Channel.TELEGRAM and choice:
            message = replace(message, kind=InboundKind.CHOICE, text="", choice_id=choice)
        elif channel is Channel.TELEGRAM and text.strip().startswith("/start"):
            payload = text.strip().partition(" ")[2].strip()
            message = replace(message, kind=InboundKind.START, text="", payload=payload or None)
        self._service.receive(message, simulated=True)
        return True

    def end(self, who: str, session_id: int) -> bool:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            entry = sim.start_entry(session, session_id, who)
            contact = _contact(session, entry.subject) if entry else None
            if entry is None or contact is None:
                return False
            _forget(session, who, contact, now)
            return True

    def _end_open(self, session: Session, who: str) -> None:
        """One conversation per person: a new start ends the one before."""
        entry = sim.latest_start(session, who)
        contact = _contact(session, entry.subject) if entry else None
        if contact is not None:
            _forget(session, who, contact, self._container.clock())


def _provider_id() -> str:
    return f"simulator-{uuid.uuid4().hex[:24]}"


def _contact(session: Session, subject: str | None) -> Contact | None:
    code = (subject or "").removeprefix("contact:")
    return sim.contact_by_code(session, code) if code else None


def _forget(session: Session, who: str, contact: Contact, now: datetime) -> None:
    audit.record(
        session,
        at=now,
        actor=who,
        action=sim.END_ACTION,
        subject=f"contact:{contact.code}",
        community_id=contact.community_id,
    )
    sim.forget(session, contact.id)


def _deliver(session: Session, contact_id: int, channel: str, now: datetime) -> None:
    """What the dispatcher would send, shown instead (it never sends a simulated contact's)."""
    anchor = sim.last_inbound_id(session, contact_id)
    for row in sim.due_for_contact(session, contact_id, now):
        row.updated_at = now
        if outbox.payload_type(row.message) == outbox.DOCUMENT and channel == "sms":
            # As the SMS sender does: failed at once, never retried.
            row.status, row.error_code = "failed", "unsupported"
            row.error_detail = "SMS cannot carry files"
            continue
        row.status, row.delivery_status, row.sent_at = "sent", "delivered", now
        row.provider_message_id = f"{sim.STAMP}{anchor}:{row.id}"


def _transcript(session: Session, contact_id: int, channel: str) -> tuple[Bubble, ...]:
    """The parent's messages and the bot's, in the order the parent saw them."""
    items: list[tuple[tuple[int, int, int], InboundRow | Outbox]] = [
        ((row.id, 0, 0), row) for row in sim.inbound_of(session, contact_id)
    ]
    items += [((sim.anchor_of(row), 1, row.id), row) for row in sim.shown(session, contact_id)]
    items.sort(key=lambda item: item[0])
    bubbles: list[Bubble] = []
    labels: dict[str, str] = {}
    for _key, row in items:
        if isinstance(row, InboundRow):
            bubbles.append(Bubble(mine=True, text=_said(row, labels)))
            continue
        bubble = _bot_bubble(row, channel)
        if bubble is not None:
            labels.update({b.choice_id: b.label for line in bubble.buttons for b in line})
            bubbles.append(bubble)
    # The buttons sent since the parent last spoke can still be pressed.
    for index in range(len(bubbles) - 1, -1, -1):
        if bubbles[index].mine:
            break
        if bubbles[index].buttons:
            bubbles[index] = replace(bubbles[index], live=True)
    return tuple(bubbles)


def _said(row: InboundRow, labels: dict[str, str]) -> str:
    if row.kind == InboundKind.START.value:
        return f"/start {row.payload}" if row.payload else "/start"
    if row.kind == InboundKind.CHOICE.value:
        return labels.get(row.choice_id or "", row.choice_id or "")
    return row.text or ""


def _bot_bubble(row: Outbox, channel: str) -> Bubble | None:
    kind = outbox.payload_type(row.message)
    if kind == outbox.DOCUMENT:
        return Bubble(mine=False, text=document_placeholder(outbox.document_of(row.message)))
    if kind != outbox.TEXT:
        return None  # a button acknowledgement: the keyboard's state says it already
    message = outbox.message_of(row)
    if channel == "sms":
        text = render_sms(message)
        count = count_segments(text)
        return Bubble(mine=False, text=text, segments=count.segments, encoding=count.encoding)
    rendering = render_telegram(message)
    rows = tuple(tuple(Button(label, data) for label, data in line) for line in rendering.buttons)
    return Bubble(mine=False, text=rendering.text, buttons=rows)
