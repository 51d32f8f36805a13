"""The clock's due-tip query in SQL agrees with `tip_for`, day by day, on both databases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from bot.container import Container
from conversations.content.library import tip_for
from storage import tips
from storage.db import transaction
from storage.models import Child, Contact, TipDelivery

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def _household(session: Session, n: int) -> Contact:
    contact = Contact(
        code=f"Q{n}",
        community_id="feltham",
        language="en",
        status="active",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(contact)
    session.flush()
    return contact


@pytest.mark.parametrize("today", [date(2026, 3, 10), date(2026, 12, 31), date(2028, 2, 29)])
def test_every_birth_and_due_date_gets_exactly_the_tip_tip_for_gives(
    container: Container, today: date
) -> None:
    library = container.engine.config.tips
    assert library is not None
    with transaction(container.sessions) as session:
        born, expecting = _household(session, 1), _household(session, 2)
        children = [
            Child(contact_id=born.id, birth_date=today - timedelta(days=d))
            for d in range(-10, 5 * 366 + 10)  # from ten days in the future to past five
        ] + [
            Child(contact_id=expecting.id, due_date=today + timedelta(days=d))
            for d in range(-30, 300)  # from past the overdue fortnight to before week 12
        ]
        children.append(Child(contact_id=expecting.id))  # no date at all: no tip
        for child in children:
            child.created_at = child.updated_at = NOW
        session.add_all(children)
        session.flush()
        sent = next(c for c in children if tip_for(library, today, c.birth_date, c.due_date))
        sent_tip = tip_for(library, today, sent.birth_date, sent.due_date)
        assert sent_tip is not None
        session.add(
            TipDelivery(
                contact_id=born.id,
                child_id=sent.id,
                tip_id=sent_tip.id,
                message_key="earlier",
                local_week="2026-W01",
                sent_at=NOW,
            )
        )
        session.flush()
        due = tips.due_tips(session, library, today, [born.id, expecting.id])
        got = {item.child_id: item.tip_id for item in due}
        expected = {}
        for child in children:
            tip = tip_for(library, today, child.birth_date, child.due_date)
            if tip is not None and child is not sent:
                expected[child.id] = tip.id
        assert got == expected
        assert len(got) > 250  # most stages have a tip: the comparison is not vacuous
        by_id = {c.id: c for c in children}
        for item in due:  # what the message needs to name the child comes with the row
            child = by_id[item.child_id]
            assert (item.contact_id, item.birth_date, item.due_date) == (
                child.contact_id,
                child.birth_date,
                child.due_date,
            )
