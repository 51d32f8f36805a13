"""Months of simulated time: exactly which tips each household gets, when, in which language."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.chat import TerminalChat
from bot.container import Container
from bot.inbound import InboundService
from bot.tips import run_tip_pass
from conversations.types import Channel
from storage.db import transaction
from storage.models import Child, Contact, ContactIdentity, Outbox, TipDelivery

LONDON = ZoneInfo("Europe/London")
JOIN = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # a Monday; the clocks go forward on 29 March
WEEKS = 16


def _join(container: Container, channel: Channel, address: str, lines: list[str]) -> int:
    service = InboundService(container.sessions, container.engine, lambda: JOIN)
    chat = TerminalChat(service, channel, address, clock=lambda: JOIN)
    for line in lines:
        chat.send(line)
    with transaction(container.sessions) as session:
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.address == address)
        ).one()
        contact = session.get_one(Contact, identity.contact_id)
        contact.is_simulated = False  # a real family, as far as the schedule is concerned
        assert contact.status == "active", f"{address} did not finish onboarding"
        return contact.id


def _english(community: str, birth: str, address: str, container: Container) -> int:
    script = [community, "1", "2", birth, "skip", "2", "1"]
    return _join(container, Channel.SMS, address, script)


def _simulate(container: Container, weeks: int = WEEKS) -> None:
    """The clock, every hour on the hour, and twice at some of them (a second clock)."""
    moment = JOIN + timedelta(hours=1)
    end = JOIN + timedelta(weeks=weeks)
    while moment < end:
        run_tip_pass(container, moment)
        if moment.hour % 5 == 0:
            run_tip_pass(container, moment)
        moment += timedelta(hours=1)


def _deliveries(container: Container, contact_id: int) -> list[tuple[datetime, str, str]]:
    with transaction(container.sessions) as session:
        rows = session.execute(
            select(TipDelivery.sent_at, TipDelivery.tip_id, TipDelivery.message_key)
            .where(TipDelivery.contact_id == contact_id)
            .order_by(TipDelivery.sent_at, TipDelivery.id)
        ).all()
    return [(at.astimezone(LONDON), tip, key) for at, tip, key in rows]


def _tip_messages(container: Container, contact_id: int) -> list[Outbox]:
    with transaction(container.sessions) as session:
        return list(
            session.scalars(
                select(Outbox)
                .where(Outbox.contact_id == contact_id, Outbox.kind == "proactive")
                .order_by(Outbox.id)
            )
        )


def test_fourteen_month_old_gets_one_tip_a_week_on_tuesdays_at_ten_across_the_clock_change(
    container: Container,
) -> None:
    family = _english("feltham", "6/1/2025", "+447700900801", container)
    _simulate(container)
    got = _deliveries(container, family)
    welcome, weekly = got[0], got[1:]
    assert welcome[1] == "c061"  # 427 days old when joining: this week's tip, no backlog
    assert [tip for _, tip, _ in weekly] == [f"c{w:03d}" for w in range(62, 62 + WEEKS - 1)]
    for at, _, _ in weekly:
        assert (at.strftime("%A"), at.hour, at.minute) == ("Tuesday", 10, 0)
    assert len(_tip_messages(container, family)) == len(weekly)  # nothing twice


def test_four_year_old_gets_a_tip_every_fortnight(container: Container) -> None:
    family = _english("margate", "1/3/2022", "+447700900802", container)
    _simulate(container)
    tips = [tip for _, tip, _ in _deliveries(container, family)]
    assert tips == ["c208", "c210", "c212", "c214", "c216", "c218", "c220", "c222", "c224"]


def test_welsh_newborn_on_telegram_gets_welsh_tips_with_reaction_buttons(
    container: Container,
) -> None:
    script = ["/start bettws", "1", "1", "2", "2/3/2026", "Nel", "2", "1"]
    family = _join(container, Channel.TELEGRAM, "700900803", script)
    _simulate(container, weeks=4)
    messages = _tip_messages(container, family)
    assert len(messages) == 3  # weeks 2, 3 and 4 (week 1 came with the welcome)
    library = container.engine.config.tips
    assert library is not None
    for message, week in zip(messages, (2, 3, 4), strict=True):
        assert message.message["locales"] == ["cy"]
        assert message.message["text"] == library.get(f"c{week:03d}").text("cy")
        assert [c[0] for c in message.message["choices"]] == [
            f"r:c{week:03d}:useful",
            f"r:c{week:03d}:tried",
            f"r:c{week:03d}:not_for_me",
        ]


def test_two_children_share_one_weekly_message_and_the_cap_holds(container: Container) -> None:
    script = ["sheffield", "1", "2", "1/9/2025", "Ava", "1", "1", "20/9/2026", "skip", "2", "1"]
    family = _join(container, Channel.SMS, "+447700900804", script)
    _simulate(container, weeks=6)
    per_week: dict[str, set[str]] = defaultdict(set)
    for at, _, key in _deliveries(container, family)[2:]:
        per_week[at.strftime("%G-W%V")].add(key)
    assert all(len(keys) == 1 for keys in per_week.values())  # one message a week for both
    messages = _tip_messages(container, family)
    assert len(messages) == 5  # 17 March to 14 April; on 10 March nothing new was due
    assert all(
        "Ava: " in m.message["text"] and "Your baby on the way: " in m.message["text"]
        for m in messages
    )


def test_stopped_paused_and_unreachable_households_get_nothing(container: Container) -> None:
    stopped = _english("feltham", "1/6/2025", "+447700900805", container)
    paused = _english("feltham", "1/6/2025", "+447700900806", container)
    service = InboundService(container.sessions, container.engine, lambda: JOIN)
    TerminalChat(service, Channel.SMS, "+447700900805", clock=lambda: JOIN).send("STOP")
    TerminalChat(service, Channel.SMS, "+447700900806", clock=lambda: JOIN).send("PAUSE")
    unreachable = _english("feltham", "1/6/2025", "+447700900809", container)
    with transaction(container.sessions) as session:
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == unreachable)
        ).one()
        identity.reachable = False  # say Twilio answered 21211: the number is invalid
    _simulate(container, weeks=6)
    assert len(_deliveries(container, stopped)) == 1  # the welcome tip only
    assert len(_deliveries(container, unreachable)) == 1
    assert _tip_messages(container, stopped) == _tip_messages(container, unreachable) == []
    paused_tips = _deliveries(container, paused)
    assert [at.date() for at, _, _ in paused_tips[1:]] == [date(2026, 4, 7), date(2026, 4, 14)]


def test_editing_a_date_recomputes_without_sending_anything_twice(container: Container) -> None:
    family = _english("feltham", "1/6/2025", "+447700900807", container)
    _simulate(container, weeks=2)
    with transaction(container.sessions) as session:
        child = session.scalars(select(Child).where(Child.contact_id == family)).one()
        child.birth_date = date(2025, 5, 25)  # a week older than we thought
    _simulate_from(container, JOIN + timedelta(weeks=2), weeks=3)
    tips = [tip for _, tip, _ in _deliveries(container, family)]
    assert len(tips) == len(set(tips))
    # From 24 March the child is a week older: c043, c044, c045 (c042 is skipped, never late).
    assert tips[-3:] == ["c043", "c044", "c045"]


def _reply_at(container: Container, when: datetime, address: str, lines: list[str]) -> None:
    service = InboundService(container.sessions, container.engine, lambda: when)
    chat = TerminalChat(service, Channel.SMS, address, clock=lambda: when)
    for line in lines:
        chat.send(line)


def _simulate_from(container: Container, start: datetime, weeks: int) -> None:
    moment = start
    while moment < start + timedelta(weeks=weeks):
        run_tip_pass(container, moment)
        moment += timedelta(hours=1)


@pytest.mark.parametrize("answer", [None, "2/4/2026"])
def test_pregnancy_turns_into_baby_tips_with_at_most_two_questions(
    container: Container, answer: str | None
) -> None:
    script = ["feltham", "1", "1", "1/4/2026", "skip", "2", "1"]
    family = _join(container, Channel.SMS, "+447700900808", script)
    moment = JOIN + timedelta(hours=1)
    while moment < JOIN + timedelta(weeks=10):
        if answer and moment == datetime(2026, 4, 14, 12, tzinfo=UTC):
            _reply_at(container, moment, "+447700900808", ["1", answer])
        run_tip_pass(container, moment)
        moment += timedelta(hours=1)
    questions = [m for m in _tip_messages(container, family) if "due date" in m.message["text"]]
    with transaction(container.sessions) as session:
        child = session.scalars(select(Child).where(Child.contact_id == family)).one()
    if answer is None:
        assert len(questions) == 2
        assert (child.birth_date, child.due_date) == (date(2026, 4, 1), None)
    else:
        assert len(questions) == 1
        assert (child.birth_date, child.due_date) == (date(2026, 4, 2), None)
    tips = [tip for _, tip, _ in _deliveries(container, family)]
    assert tips[-1].startswith("c")  # baby tips by the end
    assert len(tips) == len(set(tips))
