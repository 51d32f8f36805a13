"""Receiving a parent's message: store it durably, then process it with its effects.

One transaction per message, or per batch of messages that arrived together (`receive_many`,
driven by bot/group_commit.py): find the sender and lock their contact (so one contact's
messages go one at a time, in arrival order), store the message (unique provider id, so a
provider retry is a no-op), then process every pending message of that contact, writing
state, answers and outbox rows in the same commit that marks them processed. The webhook
answers 200 only after that commit, so a stored message is never lost: if processing raises
(a bug), the transaction is rolled back and the message is stored again on its own, counted
as a failed attempt, for `sweep` (run by the worker) to finish. If the database fails
instead, nothing is committed and the webhook answers 503, so the provider sends it again.
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
from storage import contact_context, contact_effects, contacts, held_writes, inbound
from storage.contact_context import NEW_CONTACT, Known
from storage.db import transaction
from storage.models import Contact, ContactIdentity
from storage.outbox_batch import Batch
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
            try:
                with transaction(self.sessions) as session:
                    identity, contact, new = self._sender(session, message, simulated)
                    known = NEW_CONTACT if new else None
                    return self._receive_in(session, message, (identity, contact), known=known)
            except OperationalError:
                raise
            except Exception as error:
                # A bug must not lose the message: keep it, count the attempt, sweep it later.
                log.exception("processing a new message failed")
                return self._keep_failed(message, simulated, type(error).__name__)
        except OperationalError as error:
            raise DatabaseUnavailable(str(error.orig)[:200]) from error

    def receive_many(self, messages: list[InboundMessage]) -> list[Receipt]:
        """Messages that arrived together, received in one transaction (group commit).

        Each is stored and processed as `receive` would, in arrival order, and all commit at
        once: one commit's cost for the lot. All or nothing: should anything fail (a bug in one
        message's processing, a deadlock, the database), the error is raised and nothing of the
        batch is kept, so that each can be received again on its own (`bot.group_commit`).
        """
        messages = [storable(message) for message in messages]
        with transaction(self.sessions) as session:
            found = inbound.locked_senders(
                session, [(message.channel, message.address) for message in messages]
            )
            # Read before any message changes anything: one statement for the whole batch.
            read = contact_context.load_many(session, [c.id for _, c in found.values()])
            now = self.clock()
            # Those writing for the first time: their contacts made together, nothing to read.
            senders = dict.fromkeys((m.channel, m.address) for m in messages)
            first = [(channel, a) for channel, a in senders if (channel.value, a) not in found]
            created = contacts.create_many(
                session, first, self.engine.config.default_community, now
            )
            found.update(created)
            read.update((contact.id, NEW_CONTACT) for _, contact in created.values())
            contact_of = {key: contact.id for key, (_, contact) in found.items()}
            quiet = {contact_id for contact_id, known in read.items() if not known.earlier_pending}
            stored = inbound.store_singles(session, messages, contact_of, quiet, now)
            # Each message's replies and new state are held and written together at the end
            # (storage/held_writes.py): a round trip each was most of a batch's time.
            with held_writes.holding(session):
                return self._each(session, messages, found, read, stored, now)

    def _each(
        self,
        session: Session,
        messages: list[InboundMessage],
        found: dict[tuple[str, str], tuple[ContactIdentity, Contact]],
        read: dict[int, Known],
        stored: dict[int, int | None],
        now: datetime,
    ) -> list[Receipt]:
        """`receive_many`'s messages processed in arrival order, after the batch's reads."""
        # Changed since `read` by an earlier message (its own, or another parent's giving
        # up an event place, say): read again, after the batch's changes are flushed.
        changed, stored_for = contact_effects.changed(session), set()
        receipts = []
        for index, message in enumerate(messages):
            identity, contact = sender = found[(message.channel.value, message.address)]
            if index in stored:  # stored above: its contact's only message of the batch
                if (new_id := stored[index]) is None:
                    receipts.append(Receipt(Outcome.DUPLICATE, contact.id))
                    continue
                fresh = contact.id in changed
                known = contact_context.load(session, contact.id) if fresh else read[contact.id]
                self._process_new(session, contact, identity, message, new_id, now, known)
                receipts.append(Receipt(Outcome.PROCESSED, contact.id))
                continue
            touched = contact.id in changed or contact.id in stored_for
            maybe = None if touched else read.get(contact.id)
            receipts.append(self._receive_in(session, message, sender, touched, maybe))
            stored_for.add(contact.id)  # even if not processed: what waits has changed
        return receipts

    def _receive_in(
        self,
        session: Session,
        message: InboundMessage,
        sender: tuple[ContactIdentity, Contact],
        touched: bool = False,
        known: Known | None = None,
    ) -> Receipt:
        """Store one message from a locked sender, and process it, in `session`'s transaction.

        `touched`: whether an earlier message of this transaction changed this contact;
        `known`: its context (`contact_context.load`), when read already in this transaction.
        """
        identity, contact = sender
        if known is None and touched:
            known = contact_context.load(session, contact.id, with_pending=True)
        elif known is None:
            # Nothing pending is this contact's, so the batch's changes so far need not be
            # flushed first: they are flushed together, once, at commit.
            with session.no_autoflush:
                known = contact_context.load(session, contact.id, with_pending=True)
        now = self.clock()
        # Nothing older waiting (the usual case): store it already marked processed,
        # as its effects commit with it, and process it from what was just read.
        alone = not known.earlier_pending
        new_id = inbound.store_inbound(
            session, message, contact.id, processed_at=now if alone else None
        )
        if new_id is None:
            return Receipt(Outcome.DUPLICATE, contact.id)
        if not alone:
            self._process(session, contact, identity)
        else:
            self._process_new(session, contact, identity, message, new_id, now, known)
        return Receipt(Outcome.PROCESSED, contact.id)

    def _process_new(
        self,
        session: Session,
        contact: Contact,
        identity: ContactIdentity,
        message: InboundMessage,
        new_id: int,
        now: datetime,
        known: Known,
    ) -> None:
        """A message just stored as processed, with nothing older waiting."""
        if contact.erased_at is None:  # erased: nothing to answer
            self._process_one(session, contact, identity, message, new_id, now, known)

    def _sender(
        self, session: Session, message: InboundMessage, simulated: bool
    ) -> tuple[ContactIdentity, Contact, bool]:
        """The sender's identity and contact, locked until commit (created on a first message),
        and whether this transaction created them."""
        found = inbound.locked_sender(session, message.channel, message.address)
        if found is not None:
            return (*found, False)
        identity, created = contacts.create(
            session,
            message.channel,
            message.address,
            self.engine.config.default_community,
            self.clock(),
            simulated=simulated,
        )
        if created is not None:
            return identity, created, True
        return identity, contacts.lock(session, identity.contact_id), False

    def _keep_failed(self, message: InboundMessage, simulated: bool, error: str) -> Receipt:
        with transaction(self.sessions) as session:
            _, contact, _ = self._sender(session, message, simulated)
            stored = inbound.store_inbound(session, message, contact.id)
            if stored is None:  # stored meanwhile by a retry that went through
                return Receipt(Outcome.DUPLICATE, contact.id)
            inbound.record_failure(session, [stored], error)
            return Receipt(Outcome.DEFERRED, contact.id)

    def process_contact(self, contact_id: int) -> Outcome:
        """Process every pending message of one contact, in order, in one transaction."""
        try:
            with transaction(self.sessions) as session:
                self._process(session, contacts.lock(session, contact_id))
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

    def _process(
        self, session: Session, contact: Contact, known: ContactIdentity | None = None
    ) -> None:
        """Every pending message of a locked contact; `known` saves looking up its identity."""
        contact_id = contact.id
        for row in inbound.pending_for_contact(session, contact_id):
            identity = (
                known
                if known is not None and known.channel == row.channel
                else session.scalars(
                    select(ContactIdentity).where(
                        ContactIdentity.contact_id == contact_id,
                        ContactIdentity.channel == row.channel,
                    )
                ).first()
            )
            if identity is None or contact.erased_at is not None:  # erased: nothing to answer
                inbound.mark_processed(row, self.clock())
                continue
            now = self.clock()
            event = inbound.as_event(row, identity.address)
            context = contact_context.load(session, contact_id)
            self._process_one(session, contact, identity, event, row.id, now, context)
            inbound.mark_processed(row, now)
            session.flush()

    def _process_one(
        self,
        session: Session,
        contact: Contact,
        identity: ContactIdentity,
        event: InboundMessage,
        inbound_id: int,
        now: datetime,
        known: Known,
    ) -> None:
        """One message through the engine, its effects written; `known` as read under the lock."""
        channel = Channel(identity.channel)
        mydata = match_keyword(event.text or "") is Keyword.MYDATA
        view = contacts.snapshot(session, contact, channel, now, with_records=mydata, known=known)
        batch = Batch(session, contact.id, identity)
        if event.press is not None:
            batch.button_ack(event.press, now)
        result = self.engine.step(view, event, now)
        contact_effects.apply(
            session,
            contact,
            identity,
            result,
            now,
            inbound_id=inbound_id,
            timezone=self.timezone,
            known=known,
            batch=batch,
        )
        after_rsvp(self.engine.config, session, result, now)
        ask_if_free(self.engine.config, session, contact, identity, result, now, self.timezone)
        contact.last_inbound_at = event.received_at

    def sweep(self, limit: int = 100) -> int:
        """Finish messages that were stored but never processed; returns how many contacts."""
        with transaction(self.sessions) as session:
            pending = inbound.contacts_with_pending(session, limit)
        for contact_id in pending:
            self.process_contact(contact_id)
        return len(pending)
