"""Ask a parent the consultation waiting for them as soon as their conversation ends."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from conversations import effects as fx
from conversations.flows import consultation as flow
from conversations.flows.base import Ctx
from conversations.types import Channel, ContactStatus, EngineConfig
from storage import consultation_audience as audience_sql
from storage import consultations as store
from storage import contact_effects, contacts
from storage.models import Contact, ContactIdentity


def ask_if_free(
    config: EngineConfig,
    session: Session,
    contact: Contact,
    identity: ContactIdentity,
    result: fx.StepResult,
    now: datetime,
    timezone: str,
) -> None:
    """Start a pending consultation, or resume an interrupted one, once the parent is free.

    Consultations never interleave with another conversation: one launched while a parent
    is onboarding (or answering another) waits here until that conversation ends.
    """
    if result.state.flow is not None or contact.status != ContactStatus.ACTIVE.value:
        return
    if fx.SetStatus(ContactStatus.ACTIVE) in result.effects:
        _invite_newcomer(session, contact, now, timezone)
    if contact.consent_version != config.privacy_notice_version:
        return  # held until the parent agrees to the current privacy notice
    waiting = store.waiting_for(session, contact.id, now)
    if waiting is None:
        return
    consultation, invite = waiting.consultation, waiting.invite
    view = contacts.snapshot(session, contact, Channel(identity.channel), now)
    ctx = Ctx(config, view, now)
    if invite.status == "pending":
        step = flow.begin(ctx, consultation)
        question = consultation.first().id
    else:
        question = invite.position or consultation.first().id
        step = flow.resume(ctx, consultation, question)
    store.mark_asked(invite, question, now)
    contact_effects.apply(session, contact, identity, step, now, timezone=timezone)


def _invite_newcomer(session: Session, contact: Contact, now: datetime, timezone: str) -> None:
    """A parent who has just joined is asked the open consultations meant for them."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    for row in store.open_consultations(session):
        if row.closes_at is not None and row.closes_at <= now:
            continue
        audience = store.audience_of(row)
        audience_sql.invite(session, row.id, audience, today, now, only_contact=contact.id)
