"""Retention: what is past its keeping period, counted (a dry run) or removed, set-based.

Each rule is a table and a WHERE clause, so the dry run counts exactly what the real run
removes. Blanked rows keep their place (delivery counts, inbox history) without the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Text,
    and_,
    cast,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session

from conversations.consultations.model import Consultation
from storage import erasure
from storage.base import affected
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.models import OUTBOX_WAITING, Contact, InboundMessage, InboxItem, InboxReply, Outbox

# What a blanked outbox row holds: still a (empty) text message, marked as removed.
BLANK_MESSAGE: dict[str, Any] = {"text": "", "locales": [], "choices": [], "removed": True}
KINDS = (
    "inbound_messages",
    "outbox_messages",
    "inbox_items",
    "inbox_replies",
    "free_text_answers",
    "inactive_contacts",
)


@dataclass(frozen=True, slots=True)
class Periods:
    """Keeping periods in days; 0 keeps forever."""

    message_bodies: int = 365
    free_text: int = 180
    inactive_contacts: int = 730


def _before(now: datetime, days: int) -> datetime | None:
    return now - timedelta(days=days) if days > 0 else None


def _bodies(now: datetime, periods: Periods) -> dict[str, tuple[Any, ColumnElement[bool]]]:
    cutoff = _before(now, periods.message_bodies)
    if cutoff is None:
        return {}
    return {
        "inbound_messages": (
            InboundMessage,
            and_(
                InboundMessage.received_at < cutoff,
                or_(InboundMessage.text.is_not(None), InboundMessage.press.is_not(None)),
            ),
        ),
        "outbox_messages": (
            Outbox,
            and_(
                Outbox.created_at < cutoff,
                Outbox.status.not_in(OUTBOX_WAITING),
                Outbox.message["removed"].as_string().is_(None),
            ),
        ),
        "inbox_items": (
            InboxItem,
            and_(InboxItem.created_at < cutoff, InboxItem.text.is_not(None)),
        ),
        "inbox_replies": (InboxReply, and_(InboxReply.created_at < cutoff, InboxReply.text != "")),
    }


BLANKED: dict[str, dict[str, Any]] = {
    "inbound_messages": {"text": None, "press": None},
    "outbox_messages": {"message": BLANK_MESSAGE},
    "inbox_items": {"text": None},
    "inbox_replies": {"text": ""},
}


def _free_questions(
    session: Session, now: datetime, periods: Periods
) -> list[tuple[str, list[str]]]:
    """(consultation, its free-text question ids) for consultations closed past the period."""
    cutoff = _before(now, periods.free_text)
    if cutoff is None:
        return []
    closed = session.execute(
        select(ConsultationRow.id, ConsultationRow.definition).where(
            ConsultationRow.closed_at.is_not(None), ConsultationRow.closed_at < cutoff
        )
    ).all()
    found = []
    for consultation_id, definition in closed:  # a handful of consultations, not rows
        questions = Consultation.from_json(definition).questions
        free = [q.id for q in questions if q.type == "text"]
        if free:
            found.append((consultation_id, free))
    return found


def _free_text(free: list[tuple[str, list[str]]]) -> ColumnElement[bool]:
    """The stored free-text answers of `free` (from _free_questions) that still have words."""
    if not free:
        return false()
    clauses = [
        and_(
            ConsultationAnswer.consultation_id == consultation_id,
            ConsultationAnswer.question_id.in_(questions),
        )
        for consultation_id, questions in free
    ]
    return and_(or_(*clauses), ConsultationAnswer.value.is_not(None))


def _strip_pivoted(session: Session, free: list[tuple[str, list[str]]]) -> int:
    """The same free text out of the invites' pivoted answers, which the exports read; how
    many invites held some."""
    changed = 0
    invite = ConsultationInvite
    postgresql = session.get_bind().dialect.name == "postgresql"
    for consultation_id, questions in free:
        stripped: ColumnElement[Any]
        # Only invites that still hold one of them: the rule runs every night, and rewriting
        # every row of an old consultation each time would only bloat the table.
        holding: ColumnElement[bool]
        if postgresql:
            keys = cast(array(questions), ARRAY(Text))
            stripped = invite.answers.op("-")(keys)
            holding = invite.answers.op("?|", return_type=Boolean)(keys)
        else:
            paths = [f'$."{q}"' for q in questions]
            stripped = func.json_remove(invite.answers, *paths)
            holding = or_(*(func.json_extract(invite.answers, p).is_not(None) for p in paths))
        changed += affected(
            session.execute(
                update(invite)
                .where(invite.consultation_id == consultation_id, holding)
                .values(answers=stripped)
                .execution_options(synchronize_session=False)
            )
        )
    return changed


def _inactive(now: datetime, periods: Periods) -> ColumnElement[bool]:
    """No message from the contact for the period (or never, since joining that long ago)."""
    cutoff = _before(now, periods.inactive_contacts)
    if cutoff is None:
        return false()
    return func.coalesce(Contact.last_inbound_at, Contact.created_at) < cutoff


def _count(session: Session, table: Any, where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(where)) or 0)


def due(session: Session, now: datetime, periods: Periods) -> dict[str, int]:
    """How many of each kind the retention run would remove now: changes nothing."""
    counts = {kind: 0 for kind in KINDS}
    for kind, (table, where) in _bodies(now, periods).items():
        counts[kind] = _count(session, table, where)
    free = _free_questions(session, now, periods)
    counts["free_text_answers"] = _count(session, ConsultationAnswer, _free_text(free))
    counts["inactive_contacts"] = _count(session, Contact, _inactive(now, periods))
    return counts


def enforce(session: Session, now: datetime, periods: Periods) -> dict[str, int]:
    """Blank old message bodies and free text, erase inactive contacts; the counts of each."""
    counts = {kind: 0 for kind in KINDS}
    for kind, (table, where) in _bodies(now, periods).items():
        counts[kind] = affected(
            session.execute(
                update(table)
                .where(where)
                .values(**BLANKED[kind])
                .execution_options(synchronize_session=False)
            )
        )
    free = _free_questions(session, now, periods)
    counts["free_text_answers"] = affected(
        session.execute(
            update(ConsultationAnswer)
            .where(_free_text(free))
            .values(value=None)
            .execution_options(synchronize_session=False)
        )
    )
    _strip_pivoted(session, free)
    # The same erasure as DELETE and the dashboard (closed answers kept anonymously), one
    # family at a time: a night's inactive families are few, and each is several statements.
    inactive = session.scalars(select(Contact.id).where(_inactive(now, periods))).all()
    for contact_id in inactive:
        erasure.erase(session, contact_id, now)
    counts["inactive_contacts"] = len(inactive)
    return counts
