"""Safeguarding signposting: where to get help, in the parent's language, at once, once a day.

Families talk through the real service; the message goes through the real dispatcher to the
fake Twilio, in quiet hours too (it is a reply). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.dispatcher import Dispatcher
from bot.settings import ConfigError, load_signposting
from conversations.types import Channel
from storage.db import transaction
from storage.models import InboxItem, Outbox
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import sms_dispatcher
from tests.integration.world import World

WELSH = "+447700900621"
ENGLISH = "700900622"
LATE = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # quiet hours in Bettws


def signposts(world: World, address: str) -> list[Outbox]:
    with transaction(world.container.sessions) as session:
        return list(
            session.scalars(
                select(Outbox)
                .where(
                    Outbox.contact_id == world.contact_id(address),
                    Outbox.dedupe_key.startswith("signpost:"),
                )
                .order_by(Outbox.id)
            )
        )


def alerts(world: World, address: str) -> int:
    with transaction(world.container.sessions) as session:
        rows = session.scalars(
            select(InboxItem).where(
                InboxItem.contact_id == world.contact_id(address), InboxItem.kind == "safeguarding"
            )
        ).all()
    return len(rows)


async def _drain(dispatcher: Dispatcher, at: datetime) -> None:
    try:
        await dispatcher.drain(at)
    finally:
        await dispatcher.close()


def test_signposting_in_the_parents_language_at_once_and_once_a_day(
    world: World, fake_twilio: FakeTwilio
) -> None:
    world.join(Channel.SMS, WELSH, "bettws", "1", "1", "2", "12/6/2025", "hepgor", "2", "1")
    world.join(
        Channel.TELEGRAM, ENGLISH, "/start bettws", "2", "1", "2", "1/2/2024", "Sam", "2", "1"
    )
    world.now = LATE

    control = world.say(WELSH, "Dw i ddim yn siwr")
    answered = world.say(WELSH, "Dw i isio marw")
    assert "Samariaid" in answered[0] and "999" in answered[0] and "116 123" in answered[0]
    assert answered[1:] == control  # the usual reply follows, unchanged
    (row,) = signposts(world, WELSH)
    assert row.kind == "reply" and row.message["locales"] == ["cy"]
    assert row.dedupe_key == f"signpost:{world.contact_id(WELSH)}:2026-03-10"
    assert alerts(world, WELSH) == 1  # staff are alerted as before

    # Sent in quiet hours: a reply to the parent is never held.
    with transaction(world.container.sessions) as session:
        session.get_one(Outbox, row.id).status = "queued"  # as if the terminal had not shown it
    asyncio.run(_drain(sms_dispatcher(world.container, fake_twilio), LATE))
    (sms,) = fake_twilio.sent(WELSH)
    assert "Samariaid" in sms.params["Body"]

    # Not again the same day, however many worrying messages; the alerts still come.
    world.now = LATE + timedelta(minutes=30)
    again = world.say(WELSH, "Dw i isio marw, wir")
    assert not any("Samariaid" in text for text in again)
    assert len(signposts(world, WELSH)) == 1 and alerts(world, WELSH) == 2
    world.now = LATE + timedelta(hours=10)  # the next morning
    assert any("Samariaid" in text for text in world.say(WELSH, "Dw i isio marw"))
    assert len(signposts(world, WELSH)) == 2

    # An English parent on Telegram gets the English text; an ordinary message gets none.
    assert not any("Samaritans" in text for text in world.say(ENGLISH, "Is it on Saturday?"))
    worried = world.say(ENGLISH, "I can't cope any more")
    assert "Samaritans" in worried[0] and "NSPCC" in worried[0] and "Samariaid" not in worried[0]
    assert signposts(world, ENGLISH)[0].message["locales"] == ["en"]


def test_signposting_is_optional_and_must_be_text(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("terms:\n  en: [harm]\n")
    assert load_signposting(plain) == {}
    shipped = load_signposting(Path(__file__).resolve().parents[2] / "config/safeguarding.yaml")
    assert set(shipped) == {"en", "cy"} and all("999" in text for text in shipped.values())
    for bad in ("signposting: [call 999]\n", "signposting:\n  en: ''\n"):
        broken = tmp_path / "broken.yaml"
        broken.write_text("terms:\n  en: [harm]\n" + bad)
        with pytest.raises(ConfigError, match="signposting"):
            load_signposting(broken)
