"""The clock's tip pass: each household whose slot has come gets this week's tips, once."""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.container import Container
from conversations.content.library import TipLibrary
from conversations.flows import birth
from conversations.flows.base import Ctx
from conversations.flows.tips import tip_message
from conversations.slots import local_week, next_slot
from conversations.types import Channel, OutgoingMessage
from conversations.types import Child as ChildView
from storage import contacts, outbox, tips
from storage.db import transaction
from storage.models import Child, Contact, ConversationState

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
    with transaction(container.sessions) as session:
        # Once a pass, not once a batch: each run walks every due entry of the slot index.
        tips.clear_inactive_slots(session, now)
    while True:
        with transaction(container.sessions) as session:
            version = container.engine.config.privacy_notice_version
            households = tips.due_households(session, now, BATCH, version)
            if not households:
                return written
            with _collector_paused():
                written += _serve(container, session, households, now, timezone, library)
            if len(households) < BATCH:
                return written


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch is planned: the batch allocates some 100,000
    objects that refcounting frees (no cycles), and the collector kept walking them, about 700
    runs a pass and a third of the pass's Python CPU."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _serve(container, session, households, now, timezone, library) -> int:  # type: ignore[no-untyped-def]
    """Plan every due household's message in memory, then write them in a few statements."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    week = local_week(today)
    ids = [h.id for h in households]
    _reschedule(session, households, now, timezone)
    due = tips.due_tips(session, library, today, ids) if library else []
    by_household: dict[int, list[tips.DueTip]] = defaultdict(list)
    for item in due:
        by_household[item.contact_id].append(item)
    sent_this_week = tips.tips_this_week(session, ids, week)
    identities = tips.reachable_identities(session, ids)
    checks = _birth_checks(session, today, ids)
    written = 0
    planned: list[tuple[tips.DueHousehold, list[tips.DueTip], str]] = []
    for household in households:
        if household.paused or household.id not in identities:
            continue
        if household.id in checks:
            identity = identities[household.id]
            written += _ask_about_birth(
                container, session, household.id, identity, checks[household.id], now
            )
        elif by_household[household.id] and sent_this_week.get(household.id, 0) < WEEKLY_CAP:
            items = by_household[household.id]
            key = f"tip:{household.id}:{week}:" + ",".join(sorted(i.tip_id for i in items))
            planned.append((household, items, key[:64]))
    rows = [(h.id, i.child_id, i.tip_id, key) for h, items, key in planned for i in items]
    new = tips.record_deliveries(session, rows, week, now)
    messages: list[tuple[int, outbox.Recipient, OutgoingMessage, str | None]] = []
    for household, items, key in planned:
        if not all((i.child_id, i.tip_id) in new for i in items):
            continue  # another clock pass recorded these first: it sends this message
        language = household.language or "en"
        if len(items) == 1:
            message = _single_tip_message(library, language, items[0].tip_id)
        else:
            pairs = [(_view(i), library.get(i.tip_id)) for i in items]
            message = tip_message(language, pairs)
        messages.append((household.id, identities[household.id], message, key))
    outbox.enqueue_many(session, messages, now)
    return written + len(messages)


def _reschedule(session: Session, households: list[tips.DueHousehold], now, timezone) -> None:  # type: ignore[no-untyped-def]
    """Every due household's next slot, served or not; computed once per (day, time) chosen."""
    slots: dict[datetime, list[int]] = defaultdict(list)
    for household in households:
        slot = _next_slot(now, household.tip_weekday, household.tip_time, timezone)
        slots[slot].append(household.id)
    tips.reschedule(session, slots)


@functools.lru_cache(maxsize=1024)
def _next_slot(now: datetime, weekday: int, at: str, timezone: str) -> datetime:
    return next_slot(now, weekday, at, timezone)


@functools.lru_cache(maxsize=4096)
def _single_tip_message(library: TipLibrary, language: str, tip_id: str) -> OutgoingMessage:
    """A one-child message depends on the tip and language only: built once for all."""
    return tip_message(language, [(_NO_CHILD, library.get(tip_id))])


_NO_CHILD = ChildView(None, None, None, None)  # a single tip's message never names the child


def _view(item: tips.DueTip) -> ChildView:
    return ChildView(item.child_id, item.nickname, item.birth_date, item.due_date)


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
    household_id: int,
    identity: tips.Address,
    child: Child,
    now: datetime,
) -> int:
    state = session.get(ConversationState, household_id)
    if state is not None and state.flow not in (None, birth.FLOW):
        return 0  # never interrupt a conversation (an unanswered birth question is none)
    household = session.get_one(Contact, household_id)
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
