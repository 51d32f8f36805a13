"""Writing the engine's decisions for a contact: its changes, children, consents, answers,
conversation state and outbox rows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations import effects as fx
from conversations.slots import local_week, next_slot
from conversations.types import ContactStatus, OutgoingMessage
from storage import audit, consultations, contact_context, erasure, event_rsvps, events
from storage.contact_context import Known
from storage.contacts import new_code
from storage.models import (
    Child,
    Consent,
    Contact,
    ContactIdentity,
    ConversationState,
    InboxItem,
    Outbox,
    TipDelivery,
    TipReaction,
)
from storage.outbox import enqueue
from storage.outbox_batch import Batch

# Effects that neither queue outbox rows nor read them: a step's replies around them are
# written together.
_QUEUES_NOTHING = (
    fx.SetCommunity,
    fx.SetLanguage,
    fx.RecordConsent,
    fx.SetStatus,
    fx.AddChild,
    fx.UpdateChild,
    fx.RemoveChild,
    fx.RecordReaction,
    fx.PauseTips,
    fx.SetTipSchedule,
    fx.Unexpected,
    fx.Safeguarding,
)

_CHANGED = "contacts_changed"


def changed(session: Session) -> set[int]:
    """The contacts `apply` has written to in this session's transaction so far."""
    held: set[int] = session.info.setdefault(_CHANGED, set())
    return held


def apply(
    session: Session,
    contact: Contact,
    identity: ContactIdentity,
    result: fx.StepResult,
    now: datetime,
    inbound_id: int | None = None,
    timezone: str = "Europe/London",
    known: Known | None = None,
    batch: Batch | None = None,
) -> None:
    """Write the engine's decisions: contact changes, children, consents, state and the outbox.

    `known`: what the snapshot was taken from, so the state is not looked up again; `batch`:
    outbox rows already queued for this step (a button's acknowledgement), written first."""
    changed(session).add(contact.id)
    replies = batch or Batch(session, contact.id, identity)
    for effect in result.effects:
        if isinstance(effect, fx.Reply):
            replies.reply(effect.message, now)
            continue
        if not isinstance(effect, _QUEUES_NOTHING):
            replies.write()  # before anything that may queue its own rows or read the outbox
        if isinstance(effect, fx.EraseContact):
            erase_for_goodbye(session, contact, identity, effect.goodbye, now)
            return
        _apply_one(session, contact, identity, effect, now, inbound_id, timezone)
        if isinstance(effect, fx.SetStatus | fx.SetTipSchedule | fx.PauseTips):
            _reschedule(contact, now, timezone)
    replies.write()
    contact.updated_at = now
    if known is not None:
        contact_context.save_state(session, contact.id, known, result.state, now)
        return
    state = session.get(ConversationState, contact.id)
    if state is None:
        state = ConversationState(contact_id=contact.id, data={}, updated_at=now)
        session.add(state)
    state.flow, state.step = result.state.flow, result.state.step
    state.data = dict(result.state.data)
    state.updated_at = now


def erase_for_goodbye(
    session: Session,
    contact: Contact,
    identity: ContactIdentity,
    goodbye: OutgoingMessage,
    now: datetime,
) -> None:
    """DELETE confirmed: erase now, keeping only the contact row and identity until the
    goodbye has gone (`erasure.finish`, called by the dispatcher and the clock, ends them)."""
    audit.record(
        session,
        at=now,
        actor="parent",
        action="contact.erase",
        subject=f"contact:{contact.code}",
        community_id=contact.community_id,
        reason="DELETE",
    )
    session.flush()
    erasure.erase(session, contact.id, now, keep_identity=True)
    contact.code = new_code()  # the old code now names nobody
    contact.language = contact.consent_version = None
    contact.status, contact.opted_out_at = ContactStatus.OPTED_OUT.value, now
    contact.paused_until = contact.next_tip_at = contact.last_inbound_at = None
    contact.erased_at = contact.updated_at = now
    row = enqueue(session, contact.id, identity, goodbye, now)
    row.message = {**row.message, erasure.THEN_ERASE: True}


def _apply_one(
    session: Session,
    contact: Contact,
    identity: ContactIdentity,
    effect: fx.Effect,
    now: datetime,
    inbound_id: int | None,
    timezone: str,
) -> None:
    match effect:
        case fx.SetCommunity(community_id):
            contact.community_id = community_id
        case fx.SetLanguage(language):
            contact.language = language
        case fx.RecordConsent(version, agreed):
            session.add(
                Consent(
                    contact_id=contact.id,
                    notice_version=version,
                    agreed=agreed,
                    channel=identity.channel,
                    language=contact.language,
                    recorded_at=now,
                )
            )
            contact.consent_version = version if agreed else None
        case fx.SetStatus(status):
            contact.status = status.value
            contact.opted_out_at = now if status is ContactStatus.OPTED_OUT else None
        case fx.AddChild(nickname, birth, due, welcome_tip_id):
            child = Child(
                contact_id=contact.id,
                nickname=nickname,
                birth_date=birth,
                due_date=due,
                created_at=now,
                updated_at=now,
            )
            session.add(child)
            if welcome_tip_id is not None:
                session.flush()
                session.add(
                    TipDelivery(
                        contact_id=contact.id,
                        child_id=child.id,
                        tip_id=welcome_tip_id,
                        message_key=f"welcome:{contact.id}",
                        local_week=local_week(now.astimezone(ZoneInfo(timezone)).date()),
                        sent_at=now,
                    )
                )
        case fx.UpdateChild(child_id, nickname, birth, due):
            owned = _own_child(session, contact, child_id)
            if owned is not None:
                owned.nickname, owned.birth_date, owned.due_date = nickname, birth, due
                owned.updated_at = now
        case fx.RemoveChild(child_id):
            owned = _own_child(session, contact, child_id)
            if owned is not None:
                session.delete(owned)
        case fx.RecordReaction(tip_id, reaction):
            existing = session.scalars(
                select(TipReaction).where(
                    TipReaction.contact_id == contact.id, TipReaction.tip_id == tip_id
                )
            ).one_or_none()
            row = existing or TipReaction(contact_id=contact.id, tip_id=tip_id)
            row.reaction, row.channel, row.reacted_at = reaction, identity.channel, now
            session.add(row)
        case fx.PauseTips(until):
            contact.paused_until = until
        case fx.SetTipSchedule(weekday, at):
            contact.tip_weekday, contact.tip_time = weekday, at
        case fx.RecordAnswer():
            consultations.record_answer(session, contact.id, identity.channel, effect, now)
        case fx.RecordRsvp(event_id, answer):
            event_rsvps.record_rsvp(session, contact, identity, event_id, answer, now)
        case fx.SendCalendar(event_id):
            events.send_calendar(session, contact, identity, event_id, now)
        case fx.Unexpected(text):
            session.add(
                InboxItem(contact_id=contact.id, inbound_id=inbound_id, text=text, created_at=now)
            )
        case fx.Signpost(message):
            # At most once a contact a day: a worried parent writing often is not flooded.
            day = now.astimezone(ZoneInfo(timezone)).date().isoformat()
            key = f"signpost:{contact.id}:{day}"
            if session.scalar(select(Outbox.id).where(Outbox.dedupe_key == key)) is None:
                enqueue(session, contact.id, identity, message, now, dedupe_key=key)
        case fx.Safeguarding(text, matched):
            session.add(
                InboxItem(
                    contact_id=contact.id,
                    inbound_id=inbound_id,
                    text=text,
                    kind="safeguarding",
                    matched=list(matched),
                    created_at=now,
                )
            )


def _reschedule(contact: Contact, now: datetime, timezone: str) -> None:
    """Where the clock next looks for this household's tips (nowhere unless active)."""
    if contact.status != ContactStatus.ACTIVE.value:
        contact.next_tip_at = None
        return
    contact.next_tip_at = next_slot(now, contact.tip_weekday, contact.tip_time, timezone)


def _own_child(session: Session, contact: Contact, child_id: int) -> Child | None:
    child = session.get(Child, child_id)
    return child if child is not None and child.contact_id == contact.id else None
