"""A small world for integration tests: a database, a movable clock, and parents who talk."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.chat import TerminalChat
from bot.clock import run_pass
from bot.container import Container
from bot.inbound import InboundService
from conversations.types import Channel
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.db import transaction
from storage.models import Contact, ContactIdentity, Outbox

START = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # a Tuesday morning


class World:
    """A database, a movable clock, and parents who talk to the bot through the real service."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.now = START
        self.service = InboundService(container.sessions, container.engine, lambda: self.now)
        self.chats: dict[str, TerminalChat] = {}

    def chat(self, channel: Channel, address: str) -> TerminalChat:
        if address not in self.chats:
            self.chats[address] = TerminalChat(self.service, channel, address, lambda: self.now)
        return self.chats[address]

    def say(self, address: str, *lines: str) -> list[str]:
        """Send each line; return everything the bot answered to the last one."""
        answers: list[str] = []
        for line in lines:
            answers = self.chats[address].send(line)
        return answers

    def join(self, channel: Channel, address: str, *script: str, real: bool = True) -> None:
        """Onboard through the real service; `real` families count in results (chat ones don't)."""
        self.chat(channel, address)
        self.say(address, *script)
        with transaction(self.container.sessions) as session:
            contact = session.get_one(Contact, self.contact_id(address))
            contact.is_simulated = not real

    def tick(self, at: datetime) -> dict[str, int]:
        self.now = at
        self.container.clock = lambda: at
        return run_pass(self.container, at)

    def contact_id(self, address: str) -> int:
        with transaction(self.container.sessions) as session:
            return session.scalars(
                select(ContactIdentity.contact_id).where(ContactIdentity.address == address)
            ).one()

    def answers(self, address: str) -> dict[str, str | None]:
        """The parent's stored answers; checks that each invite's pivoted copy (what the
        exports read) holds the same values."""
        contact_id = self.contact_id(address)
        with transaction(self.container.sessions) as session:
            rows = session.scalars(
                select(ConsultationAnswer).where(ConsultationAnswer.contact_id == contact_id)
            ).all()
            invites = session.scalars(
                select(ConsultationInvite).where(ConsultationInvite.contact_id == contact_id)
            ).all()
            for invite in invites:
                stored = {
                    row.question_id: row.value
                    for row in rows
                    if row.consultation_id == invite.consultation_id and row.value is not None
                }
                assert (invite.answers or {}) == stored, (invite.answers, stored)
            return {row.question_id: row.value for row in rows}

    def invite(self, address: str) -> ConsultationInvite | None:
        with transaction(self.container.sessions) as session:
            return session.scalars(
                select(ConsultationInvite).where(
                    ConsultationInvite.contact_id == self.contact_id(address)
                )
            ).one_or_none()

    def outbox(self, address: str, key_part: str) -> list[Outbox]:
        with transaction(self.container.sessions) as session:
            return list(
                session.scalars(
                    select(Outbox)
                    .where(
                        Outbox.contact_id == self.contact_id(address),
                        Outbox.dedupe_key.contains(key_part),
                    )
                    .order_by(Outbox.id)
                )
            )


WELSH_SMS = "+447700900501"
ENGLISH_TELEGRAM = "700900502"
ENGLISH_SMS = "+447700900503"
FELTHAM = "+447700900504"
EXPECTING = "+447700900505"
BUSY = "+447700900506"
SILENT = "+447700900507"
LATE = "+447700900508"


def populate(world: World) -> None:
    """Bettws families inside and outside the audience, and one in Feltham."""
    world.join(Channel.SMS, WELSH_SMS, "bettws", "1", "1", "2", "12/6/2025", "hepgor", "2", "1")
    world.join(
        Channel.TELEGRAM, ENGLISH_TELEGRAM, "/start bettws", "2", "1", "2", "1/2/2024", "Sam",
        "2", "1",
    )  # fmt: skip
    world.join(Channel.SMS, ENGLISH_SMS, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    world.join(Channel.SMS, FELTHAM, "feltham", "1", "2", "3/1/2025", "skip", "2", "1")
    world.join(Channel.SMS, EXPECTING, "bettws", "2", "1", "1", "20/8/2026", "skip", "2", "1")
    world.join(Channel.SMS, BUSY, "bettws", "2", "1", "2", "3/3/2024", "skip", "2", "1")
    world.join(Channel.SMS, SILENT, "bettws", "2", "1", "2", "3/3/2025", "skip", "2", "1")
