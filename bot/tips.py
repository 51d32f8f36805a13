"""The clock's tip pass: each household whose slot has come gets this week's tips, once."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.container import Container
from conversations.flows import birth
from conversations.flows.base import Ctx
from conversations.flows.tips import tip_message
from conversations.slots import local_week, next_slot
from conversations.types import Channel
from conversations.types import Child as ChildView
from storage import contacts, outbox, tips
from storage.db import transaction
from storage.models import Child, Contact, ContactIdentity, ConversationState

log = logging.getLogger(__name__)

WEEKLY_CAP = 3  # tip messages per household per week, however many children
BIRTH_ASSUME_DAYS = (
    21  # asked at +7 and +14 days; with no answer, the due date becomes the birthday
)
BATCH = 5000


def run_tip_pass(container: Container, now: datetime) -> int:
    """Write this pass's tip messages to the outbox; returns how many messages."""
    timezone = container.settings.timezone
    library = container.engine.config.tips
    written = 0
    while True:
        with transaction(container.sessions) as session:
            tips.clear_inactive_slots(session, now)
            version = container.engine.config.privacy_notice_version
            households = tips.due_households(session, now, BATCH, version)
            if not households:
                return written
            written += _serve(container, session, households, now, timezone, library)
            if len(households) < BATCH:
                return written


def _serve(container, session, households, now, timezone, library) -> int:  # type: ignore[no-untyped-def]
    """Plan every due household's message in memory, then write them in a few statements."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    week = local_week(today)
    ids = [h.id for h in households]
    due = tips.due_tips(session, library, today, ids) if library else []
    by_household: dict[int, list[tips.DueTip]] = defaultdict(list)
    for item in due:
        by_household[item.contact_id].append(item)
    sent_this_week = tips.tips_this_week(session, ids, week)
    identities = tips.reachable_identities(session, ids)
    children = tips.children_by_id(session, [item.child_id for item in due])
    checks = _birth_checks(session, today, ids)
    written = 0
    planned: list[tuple[Contact, list[tips.DueTip], str]] = []
    for household in households:
        paused = household.paused_until is not None and household.paused_until > now
        household.next_tip_at = next_slot(now, household.tip_weekday, household.tip_time, timezone)
        if paused or household.id not in identities:
            continue
        if household.id in checks:
            identity = identities[household.id]
            written += _ask_about_birth(
                container, session, household, identity, checks[household.id], now
            )
        elif by_household[household.id] and sent_this_week.get(household.id, 0) < WEEKLY_CAP:
            items = by_household[household.id]
            key = f"tip:{household.id}:{week}:" + ",".join(sorted(i.tip_id for i in items))
            planned.append((household, items, key[:64]))
    rows = [
        {
            "contact_id": h.id,
            "child_id": i.child_id,
            "tip_id": i.tip_id,
            "message_key": key,
            "local_week": week,
            "sent_at": now,
        }
        for h, items, key in planned
        for i in items
    ]
    new = tips.record_deliveries(session, rows)
    messages = []
    for household, items, key in planned:
        if not all((i.child_id, i.tip_id) in new for i in items):
            continue  # another clock pass recorded these first: it sends this message
        pairs = [(_view(children[i.child_id]), library.get(i.tip_id)) for i in items]
        message = tip_message(household.language or "en", pairs)
        messages.append((household.id, identities[household.id], message, key))
    outbox.enqueue_many(session, messages, now)
    return written + len(messages)


def _view(child: Child) -> ChildView:
    return ChildView(child.id, child.nickname, child.birth_date, child.due_date)


def _birth_checks(session: Session, today: date, ids: list[int]) -> dict[int, Child]:
    """Per household, one child whose due date passed a week or more ago with no birth recorded."""
    found: dict[int, Child] = {}
    for child in tips.birth_checks_due(session, today, ids):
        assert child.due_date is not None
        overdue = (today - child.due_date).days
        if overdue >= BIRTH_ASSUME_DAYS and child.birth_checks >= 2:
            # No answer to two gentle questions: assume the due date and move to baby tips.
            child.birth_date, child.due_date = child.due_date, None
            continue
        asks_due = (child.birth_checks == 0 and overdue >= 7) or (
            child.birth_checks == 1 and overdue >= 14
        )
        if asks_due:
            found.setdefault(child.contact_id, child)
    return found


def _ask_about_birth(
    container: Container,
    session: Session,
    household: Contact,
    identity: ContactIdentity,
    child: Child,
    now: datetime,
) -> int:
    state = session.get(ConversationState, household.id)
    if state is not None and state.flow not in (None, birth.FLOW):
        return 0  # never interrupt a conversation (an unanswered birth question is none)
    view = contacts.snapshot(session, household, Channel(identity.channel))
    ctx = Ctx(container.engine.config, view, now)
    child_view = ChildView(child.id, child.nickname, child.birth_date, child.due_date)
    outbox.enqueue(session, household.id, identity, birth.question(ctx, child_view), now)
    new_state = birth.state_for(child_view)
    if state is None:
        state = ConversationState(contact_id=household.id, data={}, updated_at=now)
        session.add(state)
    state.flow, state.step, state.data, state.updated_at = (
        new_state.flow,
        new_state.step,
        dict(new_state.data),
        now,
    )
    child.birth_checks += 1
    return 1
