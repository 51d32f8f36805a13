"""Receiving a parent's message: store it durably, then process it with its effects.

Two transactions, on purpose. The first stores the message (unique provider id), so a
provider retry is a no-op and the webhook can answer 200 once it is durable. The second
locks the contact and processes every pending message of that contact in arrival order,
writing state, answers and outbox rows in the same commit that marks them processed. A
crash between the two leaves the message pending; `sweep` (run by the worker) finishes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.consultation_followup import ask_if_free
from bot.events import after_rsvp
from conversations.engine import Engine
from conversations.keywords import Keyword, match_keyword
from conversations.types import Channel, InboundMessage
from storage import contacts, inbound, outbox
from storage.db import transaction
from storage.models import ContactIdentity
from webhooks.limits import storable
from webhooks.ports import Unavailable

log = logging.getLogger(__name__)


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached: webhooks answer 503 so the provider retries."""


class Outcome(StrEnum):
    PROCESSED = "processed"
    DUPLICATE = "duplicate"
    DEFERRED = "deferred"  # stored, but processing failed; the sweeper retries it


@dataclass(frozen=True, slots=True)
class Receipt:
    outcome: Outcome
    contact_id: int


def utcnow() -> datetime:
    return datetime.now(UTC)


class InboundService:
    """The one way a message from a parent enters the system, whatever the channel."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        engine: Engine,
        clock: Callable[[], datetime] = utcnow,
        timezone: str = "Europe/London",
    ) -> None:
        self.sessions = sessions
        self.engine = engine
        self.clock = clock
        self.timezone = timezone

    def receive(self, message: InboundMessage, simulated: bool = False) -> Receipt:
        message = storable(message)
        try:
            contact_id, stored = self._store(message, simulated)
        except OperationalError as error:
            raise DatabaseUnavailable(str(error.orig)[:200]) from error
        if not stored:
            return Receipt(Outcome.DUPLICATE, contact_id)
        return Receipt(self.process_contact(contact_id), contact_id)

    def _store(self, message: InboundMessage, simulated: bool) -> tuple[int, bool]:
        now = self.clock()
        with transaction(self.sessions) as session:
            identity = contacts.find_or_create(
                session,
                message.channel,
                message.address,
                self.engine.config.default_community,
                now,
                simulated=simulated,
            )
            stored = inbound.store_inbound(session, message, identity.contact_id)
            return identity.contact_id, stored is not None

    def process_contact(self, contact_id: int) -> Outcome:
        """Process every pending message of one contact, in order, in one transaction."""
        try:
            with transaction(self.sessions) as session:
                self._process(session, contact_id)
            return Outcome.PROCESSED
        except OperationalError:
            log.warning("database error while processing contact %s; will retry", contact_id)
            return Outcome.DEFERRED
        except Exception as error:
            # A bug must not lose the message: count the attempt and leave it for the sweeper.
            log.exception("processing failed for contact %s", contact_id)
            with transaction(self.sessions) as session:
                pending = inbound.pending_for_contact(session, contact_id)
                inbound.record_failure(session, [row.id for row in pending], type(error).__name__)
            return Outcome.DEFERRED

    def _process(self, session: Session, contact_id: int) -> None:
        contact = contacts.lock(session, contact_id)
        for row in inbound.pending_for_contact(session, contact_id):
            identity = session.scalars(
                select(ContactIdentity).where(
                    ContactIdentity.contact_id == contact_id,
                    ContactIdentity.channel == row.channel,
                )
            ).first()
            if identity is None or contact.erased_at is not None:  # erased: nothing to answer
                inbound.mark_processed(row, self.clock())
                continue
            channel = Channel(row.channel)
            now = self.clock()
            mydata = match_keyword(row.text or "") is Keyword.MYDATA
            view = contacts.snapshot(session, contact, channel, now, with_records=mydata)
            event = inbound.as_event(row, identity.address)
            if event.press is not None:
                outbox.enqueue_button_ack(session, contact_id, identity, event.press, now)
            result = self.engine.step(view, event, now)
            contacts.apply(
                session, contact, identity, result, now, inbound_id=row.id, timezone=self.timezone
            )
            after_rsvp(self.engine.config, session, result, now)
            ask_if_free(self.engine.config, session, contact, identity, result, now, self.timezone)
            contact.last_inbound_at = row.received_at
            inbound.mark_processed(row, now)
            session.flush()

    def sweep(self, limit: int = 100) -> int:
        """Finish messages that were stored but never processed; returns how many contacts."""
        with transaction(self.sessions) as session:
            pending = inbound.contacts_with_pending(session, limit)
        for contact_id in pending:
            self.process_contact(contact_id)
        return len(pending)
