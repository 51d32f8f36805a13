"""Asking a consultation's pending invitees who are free: claim, conversation, intro, set-based.

A launch to 100,000 parents writes 100,000 invite updates, 100,000 conversations and 200,000
outbox rows, so the number of passes over those rows is what it costs. On PostgreSQL the
claim, the conversations and the messages are one statement (data-modifying CTEs: the
claimed rows are read once, and no row is written twice in the transaction, which would
also re-run its foreign-key checks). SQLite has no data-modifying CTEs: it marks the claim
"asking" first and "asked" last, in the same write-locked transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, and_, exists, literal, or_, select, text, true, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.dml import Update

from storage.base import JSONType, UTCDateTime
from storage.consent import consented
from storage.consultation_audience import Span, first_identities
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationInvite as Invite
from storage.consultations import FLOW, UNFINISHED
from storage.contact_locks import lock_unless_busy
from storage.models import Contact, ContactIdentity
from storage.models import ConversationState as StateRow
from storage.outbox_groups import Messages, insert_rows, row_columns


def start_pending(
    session: Session,
    row: ConsultationRow,
    first_question: str,
    messages: Messages,
    now: datetime,
    notice_version: str,
    span: Span | None = None,
) -> int:
    """Ask every pending invitee who is free now (of the contacts in `span`, a fan-out
    chunk's): state, intro and first question, set-based.

    Invitees yet to agree to `notice_version` stay pending until they do. Returns how many
    outbox rows were written.
    """
    pending = and_(Invite.consultation_id == row.id, Invite.status == "pending", *_in(span))
    found = session.execute(select(Invite.language, Invite.channel).where(pending).distinct())
    groups_seen = [(lang, chan) for lang, chan in found]
    if not groups_seen:
        return 0
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # Joins on a CTE are estimated wildly (52 million rows for 97,000), which makes
        # PostgreSQL JIT-compile the statement: seconds of compiling for nothing.
        session.execute(text("SET LOCAL jit = off"))
    claim = _claim(session, row.id, groups_seen, notice_version, span)
    asked = {"status": "asked", "asked_at": now, "position": first_question}
    state = (row.id, first_question, now)
    if postgres:
        claimed = claim.values(asked).returning(Invite.contact_id, Invite.language, Invite.channel)
        batch = claimed.cte("claimed")
        moved = _move_states(session, batch, *state).cte("moved")
        written = _queue(session, row, batch, groups_seen, messages, now, span, moved)
    else:
        session.execute(claim.values(status="asking"))
        asking = and_(Invite.consultation_id == row.id, Invite.status == "asking")
        batch = select(Invite.contact_id, Invite.language, Invite.channel).where(asking).cte()
        session.execute(_move_states(session, batch, *state))
        written = _queue(session, row, batch, groups_seen, messages, now, span)
        session.execute(
            update(Invite).where(asking).values(asked).execution_options(synchronize_session=False)
        )
    _idle_states(session, row.id, now, span)
    return written


def _in(span: Span | None, column: Any = Invite.contact_id) -> list[Any]:
    """The conditions that `column` (a contact id) is in `span`: none without one.

    Stated on every table a statement reads, so each reads only the chunk's rows (PostgreSQL
    carries equalities across a join, never ranges).
    """
    return [] if span is None else [column > span[0], column <= span[1]]


def _busy_elsewhere(span: Span | None) -> Any:
    """The contact has another consultation asked but not finished (it resumes first)."""
    other = aliased(Invite)
    return exists().where(
        other.contact_id == Invite.contact_id,
        other.consultation_id != Invite.consultation_id,
        other.status.in_(UNFINISHED),
        *_in(span, other.contact_id),
    )


def _claim(
    session: Session,
    cid: str,
    groups: Sequence[tuple[str, str]],
    notice_version: str,
    span: Span | None,
) -> Update:
    """Pending invitees who are free: active, consented, idle and not answering another.

    Only the language and channel groups whose messages were composed: one invited a moment
    ago in another language waits for the next pass rather than going unmessaged. A parent
    whose message is being handled right now is skipped until the next pass.
    """
    in_groups = or_(
        *(and_(Invite.language == lang, Invite.channel == chan) for lang, chan in groups)
    )
    busy = exists().where(
        StateRow.contact_id == Invite.contact_id,
        StateRow.flow.is_not(None),
        *_in(span, StateRow.contact_id),
    )
    here = aliased(Invite)
    pending_here = select(here.contact_id).where(
        here.consultation_id == cid, here.status == "pending", *_in(span, here.contact_id)
    )
    return (
        update(Invite)
        .where(
            Invite.consultation_id == cid,
            Invite.status == "pending",
            *_in(span),
            in_groups,
            Contact.id == Invite.contact_id,
            *_in(span, Contact.id),
            Contact.status == "active",
            consented(notice_version),
            ~busy,
            ~_busy_elsewhere(span),
            lock_unless_busy(session, Invite.contact_id, pending_here),
        )
        .execution_options(synchronize_session=False)
    )


def _move_states(session: Session, batch: CTE, cid: str, question: str, now: datetime) -> Any:
    """Put the batch's conversations at `question` of this consultation (creating them)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    values = select(
        batch.c.contact_id,
        literal(FLOW),
        literal(question),
        literal({"c": cid}, JSONType),
        literal(now, UTCDateTime()),
    ).where(true())  # SQLite reads "SELECT … FROM t ON CONFLICT" as a join without a WHERE
    statement = module.insert(StateRow).from_select(
        ["contact_id", "flow", "step", "data", "updated_at"], values
    )
    fresh = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[StateRow.contact_id],
        set_={
            "flow": fresh.flow,
            "step": fresh.step,
            "data": fresh.data,
            "updated_at": fresh.updated_at,
        },
    )


def _idle_states(session: Session, cid: str, now: datetime, span: Span | None) -> None:
    """Give invitees still pending a conversation row (idle), as every asked one has."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    waiting = select(Invite.contact_id, literal(now, UTCDateTime()), literal({}, JSONType)).where(
        Invite.consultation_id == cid, Invite.status == "pending", *_in(span)
    )
    session.execute(
        module.insert(StateRow)
        .from_select(["contact_id", "updated_at", "data"], waiting)
        .on_conflict_do_nothing()
    )


def _queue(
    session: Session,
    row: ConsultationRow,
    batch: CTE,
    groups: Sequence[tuple[str, str]],
    messages: Messages,
    now: datetime,
    span: Span | None,
    *ctes: CTE,
) -> int:
    """The intro and first question for everyone in the batch: one INSERT … SELECT.

    Each group's messages follow one another in the UNION ALL, so every parent's intro gets
    a smaller outbox id than their question (the dispatcher sends a chat's rows in id order).
    """
    firsts = first_identities(span).subquery()
    reached = (
        select(batch, ContactIdentity.id.label("identity_id"), ContactIdentity.channel.label("to"))
        .join(firsts, firsts.c.contact_id == batch.c.contact_id)
        .join(
            ContactIdentity,
            and_(
                ContactIdentity.id == firsts.c.identity_id, *_in(span, ContactIdentity.contact_id)
            ),
        )
        .cte("reached")
    )
    identity = (reached.c.identity_id, reached.c.to)
    parts = [
        select(
            *row_columns(
                reached.c.contact_id,
                identity,
                message,
                f"c:{row.id}:intro:{n}:",
                now,
                row.closes_at,
            )
        ).where(reached.c.language == lang, reached.c.channel == chan)
        for lang, chan in groups
        for n, message in enumerate(messages(lang, chan, None))
    ]
    return insert_rows(session, union_all(*parts), *ctes, batch, reached)
