"""Erasing a family (DELETE / DILEU, or staff): set-based, in the caller's transaction.

What goes: identities, children, consents, conversation state, tip deliveries, inbox items and
replies, event RSVPs, consultation invites, open answers (text, number, date), and the contact.
What stays, anonymous: closed-question answers (choice, multi, scale, yes/no) and tip reactions,
with `contact_id` NULL so the counts still include them; inbound and sent outbox rows, blanked
and unlinked, so provider retries stay no-ops and delivery figures still add up.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from storage.consultation_models import Consultation, ConsultationAnswer, ConsultationInvite
from storage.event_models import EventRsvp
from storage.models import (
    OUTBOX_WAITING,
    Child,
    Consent,
    Contact,
    ContactIdentity,
    ConversationState,
    InboundMessage,
    InboxItem,
    InboxReply,
    Outbox,
    TipDelivery,
    TipReaction,
)

CLOSED_TYPES = ("choice", "multi", "scale", "yesno")
BLANK_MESSAGE: dict[str, Any] = {"text": "", "locales": [], "erased": True}
THEN_ERASE = "then_erase"  # marks the goodbye: the contact goes once it has been sent
GRACE = timedelta(days=1)  # a goodbye that cannot be sent by then is given up


def _closed_questions(session: Session, contact_id: int) -> list[tuple[str, list[str]]]:
    """(consultation, its closed question ids) for every consultation this contact answered."""
    answered = select(ConsultationAnswer.consultation_id).where(
        ConsultationAnswer.contact_id == contact_id
    )
    found = []
    for row in session.scalars(select(Consultation).where(Consultation.id.in_(answered))):
        questions = row.definition.get("questions") or []
        closed = [str(q["id"]) for q in questions if q.get("type") in CLOSED_TYPES]
        found.append((row.id, closed))
    return found


def erase(session: Session, contact_id: int, now: datetime, *, keep_identity: bool = False) -> None:
    """Remove or anonymise everything about one contact.

    With `keep_identity` the contact row and its identities stay (for the goodbye, see
    `finish`); otherwise the contact is deleted too.
    """
    answers = ConsultationAnswer
    for consultation_id, closed in _closed_questions(session, contact_id):
        session.execute(
            update(answers)
            .where(
                answers.contact_id == contact_id,
                answers.consultation_id == consultation_id,
                answers.question_id.in_(closed),
            )
            .values(contact_id=None)
            .execution_options(synchronize_session=False)
        )
    _delete(session, answers, answers.contact_id == contact_id)
    session.execute(
        update(TipReaction)
        .where(TipReaction.contact_id == contact_id)
        .values(contact_id=None)
        .execution_options(synchronize_session=False)
    )
    items = select(InboxItem.id).where(InboxItem.contact_id == contact_id)
    _delete(
        session,
        InboxReply,
        or_(InboxReply.contact_id == contact_id, InboxReply.item_id.in_(items)),
    )
    for model in (InboxItem, EventRsvp, ConsultationInvite, TipDelivery, Consent):
        _delete(session, model, model.contact_id == contact_id)
    _delete(session, Child, Child.contact_id == contact_id)
    _delete(session, ConversationState, ConversationState.contact_id == contact_id)
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.contact_id == contact_id)
        .values(
            contact_id=None,
            text=None,
            choice_id=None,
            payload=None,
            press=None,
            error=None,
            processed_at=func.coalesce(InboundMessage.processed_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if keep_identity:  # replies already queued (a button's acknowledgement) still go out
        mine = Outbox.contact_id == contact_id
        _delete(session, Outbox, and_(mine, Outbox.status == "queued", Outbox.kind != "reply"))
        _blank(session, and_(mine, Outbox.status.not_in(OUTBOX_WAITING)))
        return
    _forget_outbox(session, Outbox.contact_id == contact_id)
    identities = select(ContactIdentity.id).where(ContactIdentity.contact_id == contact_id)
    _forget_outbox(session, Outbox.identity_id.in_(identities))
    _delete(session, ContactIdentity, ContactIdentity.contact_id == contact_id)
    _delete(session, Contact, Contact.id == contact_id)


def _delete(session: Session, model: Any, where: Any) -> None:
    session.execute(delete(model).where(where).execution_options(synchronize_session=False))


def _forget_outbox(session: Session, where: Any) -> None:
    """Unsent rows go; the rest keep only their status, channel and times."""
    _delete(session, Outbox, and_(where, Outbox.status == "queued"))  # never to be sent
    _blank(session, where)


def _blank(session: Session, where: Any) -> None:
    session.execute(
        update(Outbox)
        .where(where)
        .values(
            contact_id=None,
            identity_id=None,
            message=BLANK_MESSAGE,
            dedupe_key=None,
            provider_message_id=None,
            error_detail=None,
        )
        .execution_options(synchronize_session=False)
    )


def finish(session: Session, now: datetime, contact_ids: Iterable[int] | None = None) -> int:
    """Delete contacts erased by DELETE whose goodbye is out (sent, failed, or over GRACE).

    `contact_ids` limits the look to those contacts (the dispatcher's hint); returns how many.
    """
    waiting = exists().where(Outbox.contact_id == Contact.id, Outbox.status.in_(OUTBOX_WAITING))
    query = select(Contact.id).where(
        Contact.erased_at.is_not(None), or_(~waiting, Contact.erased_at <= now - GRACE)
    )
    if contact_ids is not None:
        query = query.where(Contact.id.in_(list(contact_ids)))
    done = list(session.scalars(query))
    for contact_id in done:  # few at a time: each is a handful of statements
        erase(session, contact_id, now)
    return len(done)
