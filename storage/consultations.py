"""Consultations in the database: definitions, starting them, answers, reminders and closing.

Everything that touches many residents is a handful of set-based statements: the messages
are the same for everyone who shares a language and channel (and, for reminders, the
question they are on), so each such group is one INSERT … SELECT into the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, and_, null, or_, select, update
from sqlalchemy.orm import Session

from conversations import effects as fx
from conversations.consultations.model import Audience, Consultation
from conversations.types import ConversationState
from storage.base import affected
from storage.consent import consented
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.models import Contact
from storage.models import ConversationState as StateRow
from storage.outbox_groups import Messages, enqueue_groups

FLOW = "consultation"  # conversations.flows.consultation.FLOW; storage never imports flows
UNFINISHED = ("asked", "started")
WAITING = ("pending", "asked", "started")


def definition(session: Session, consultation_id: str) -> tuple[Consultation, str] | None:
    """The consultation and its status, or None if there is no such consultation."""
    row = session.get(ConsultationRow, consultation_id)
    if row is None:
        return None
    return Consultation.from_json(row.definition), row.status


def is_closed(row: ConsultationRow, now: datetime) -> bool:
    return row.status == "closed" or (row.closes_at is not None and row.closes_at <= now)


def audience_of(row: ConsultationRow) -> Audience:
    return Consultation.from_json(row.definition).audience


def open_consultations(session: Session) -> list[ConsultationRow]:
    return list(session.scalars(select(ConsultationRow).where(ConsultationRow.status == "open")))


def _move_states(
    session: Session, invites: object, cid: str, question: str | None, now: datetime
) -> None:
    """Put these invitees' conversations at `question` of this consultation."""
    contacts = select(ConsultationInvite.contact_id).where(invites)  # type: ignore[arg-type]
    if question is None:  # per-invite positions: one statement per distinct position
        positions = select(ConsultationInvite.position).where(invites).distinct()  # type: ignore[arg-type]
        for (position,) in session.execute(positions).all():
            at = select(ConsultationInvite.contact_id).where(
                invites,  # type: ignore[arg-type]
                ConsultationInvite.position == position,
            )
            _set_state(session, at, cid, position, now)
        return
    _set_state(session, contacts, cid, question, now)


def _set_state(
    session: Session,
    contacts: Select[*tuple[Any, ...]],
    cid: str,
    question: str | None,
    now: datetime,
) -> None:
    session.execute(
        update(StateRow)
        .where(StateRow.contact_id.in_(contacts))
        .values(flow=FLOW, step=question, data={"c": cid}, updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _enqueue_groups(
    session: Session,
    row: ConsultationRow,
    invites: Any,
    by_position: bool | None,
    messages: Messages,
    purpose: str,
    now: datetime,
) -> int:
    """These invitees' messages, one INSERT … SELECT per language, channel (and position)."""
    position = ConsultationInvite.position if by_position else null().cast(String)
    recipients = select(
        ConsultationInvite.contact_id,
        ConsultationInvite.language,
        ConsultationInvite.channel,
        position,
    ).where(invites)
    return enqueue_groups(
        session, recipients, messages, f"c:{row.id}:{purpose}", now, expires_at=row.closes_at
    )


def send_reminders(
    session: Session,
    row: ConsultationRow,
    launched: datetime,
    reminders: tuple[timedelta, ...],
    messages: Messages,
    now: datetime,
    notice_version: str,
) -> int:
    """Remind those who have not finished, once per reminder that has come due since they
    were asked (held, like every proactive message, for anyone yet to agree to
    `notice_version`)."""
    written = 0
    for index, after in enumerate(reminders):
        if launched + after > now:
            break
        due = (
            select(ConsultationInvite.id)
            .join(Contact, Contact.id == ConsultationInvite.contact_id)
            .join(StateRow, StateRow.contact_id == ConsultationInvite.contact_id)
            .where(
                ConsultationInvite.consultation_id == row.id,
                ConsultationInvite.status.in_(UNFINISHED),
                ConsultationInvite.reminders_sent == index,
                # Timed from when each parent was asked: a launch's fan-out, or a parent busy
                # at the launch, asks some later than others.
                or_(
                    ConsultationInvite.asked_at.is_(None),
                    ConsultationInvite.asked_at <= now - after,
                ),
                Contact.status == "active",
                consented(notice_version),
                # Answering this consultation, or free: never in the middle of something else.
                or_(StateRow.flow.is_(None), StateRow.flow == FLOW),
            )
        )
        marked = affected(
            session.execute(
                update(ConsultationInvite)
                .where(ConsultationInvite.id.in_(due))
                # Negative while being reminded in this transaction: marks whom to message.
                .values(reminders_sent=-(index + 1))
                .execution_options(synchronize_session=False)
            )
        )
        if not marked:
            continue
        reminding = and_(
            ConsultationInvite.consultation_id == row.id,
            ConsultationInvite.reminders_sent == -(index + 1),
        )
        _move_states(session, reminding, row.id, None, now)
        written += _enqueue_groups(
            session, row, reminding, True, messages, f"reminder{index + 1}", now
        )
        session.execute(
            update(ConsultationInvite)
            .where(reminding)
            .values(reminders_sent=index + 1)
            .execution_options(synchronize_session=False)
        )
    return written


def close_due(session: Session, now: datetime) -> list[str]:
    """Close every open consultation whose closing time has come; expire unasked invites."""
    ids = list(
        session.scalars(
            select(ConsultationRow.id).where(
                ConsultationRow.status == "open",
                ConsultationRow.closes_at.is_not(None),
                ConsultationRow.closes_at <= now,
            )
        )
    )
    for cid in ids:
        close(session, cid, now)
    return ids


def close(session: Session, consultation_id: str, now: datetime) -> None:
    """Stop a consultation: no more invites, reminders or answers are taken."""
    session.execute(
        update(ConsultationRow)
        .where(ConsultationRow.id == consultation_id)
        .values(status="closed", closed_at=now, updated_at=now)
    )
    session.execute(
        update(ConsultationInvite)
        .where(
            ConsultationInvite.consultation_id == consultation_id,
            ConsultationInvite.status == "pending",
        )
        .values(status="expired")
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    """A consultation a contact should be asked (or resumed) next."""

    consultation: Consultation
    invite: ConsultationInvite


def waiting_for(session: Session, contact_id: int, now: datetime) -> Waiting | None:
    """The oldest consultation this contact has not finished, while it is still open."""
    found = session.execute(
        select(ConsultationInvite, ConsultationRow)
        .join(ConsultationRow, ConsultationRow.id == ConsultationInvite.consultation_id)
        .where(
            ConsultationInvite.contact_id == contact_id,
            ConsultationInvite.status.in_(WAITING),
            ConsultationRow.status == "open",
            or_(ConsultationRow.closes_at.is_(None), ConsultationRow.closes_at > now),
        )
        .order_by(
            # An interrupted consultation comes before a new one.
            ConsultationInvite.status == "pending",
            ConsultationInvite.invited_at,
            ConsultationInvite.id,
        )
        .limit(1)
    ).first()
    if found is None:
        return None
    invite, row = found
    return Waiting(Consultation.from_json(row.definition), invite)


def mark_asked(invite: ConsultationInvite, question_id: str, now: datetime) -> None:
    if invite.status == "pending":
        invite.status, invite.asked_at = "asked", now
    invite.position = question_id


def state_of(consultation_id: str, question_id: str) -> ConversationState:
    return ConversationState(FLOW, question_id, {"c": consultation_id})


def pivoted(answers: dict[str, str] | None, question_id: str, value: str | None) -> dict[str, str]:
    """An invite's pivoted answers with one answer replaced (a skip takes it out): a new dict,
    so the ORM sees the change."""
    changed = {key: held for key, held in (answers or {}).items() if key != question_id}
    if value is not None:
        changed[question_id] = value
    return changed


def record_answer(
    session: Session, contact_id: int, channel: str, answer: fx.RecordAnswer, now: datetime
) -> None:
    """Store (or replace) one answer and move the invite on; the answer is never lost."""
    cid, qid = answer.consultation_id, answer.question_id
    stored = session.scalars(
        select(ConsultationAnswer).where(
            ConsultationAnswer.consultation_id == cid,
            ConsultationAnswer.contact_id == contact_id,
            ConsultationAnswer.question_id == qid,
        )
    ).one_or_none()
    stored = stored or ConsultationAnswer(
        consultation_id=cid, contact_id=contact_id, question_id=qid
    )
    stored.value, stored.skipped = answer.value, answer.value is None
    stored.channel, stored.answered_at = channel, now
    session.add(stored)
    invite = session.scalars(
        select(ConsultationInvite).where(
            ConsultationInvite.consultation_id == cid, ConsultationInvite.contact_id == contact_id
        )
    ).one_or_none()
    if invite is None:
        return
    invite.answers = pivoted(invite.answers, qid, answer.value)
    invite.started_at = invite.started_at or now
    invite.position = answer.next_question_id
    if answer.next_question_id is None:
        invite.status, invite.finished_at = "finished", now
    else:
        invite.status = "started"
