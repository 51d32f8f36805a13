"""The inbox: safeguarding alerts from any state, listed first; staff reply on the parent's channel.

Parents talk through the real inbound service; staff use the real dashboard over HTTP; replies
leave through the real dispatcher to the fake Twilio and Telegram servers. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.consultations import launch
from bot.dispatcher import Dispatcher
from conversations.types import Channel
from storage.audit_models import AuditEntry
from storage.db import transaction
from storage.models import ContactIdentity, InboxItem, InboxReply, Outbox
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import run_dispatcher, sms_dispatcher, telegram_dispatcher
from tests.integration.staff_client import csrf_of
from tests.integration.test_consultations import play_park
from tests.integration.world import ENGLISH_SMS, ENGLISH_TELEGRAM, FELTHAM, World, populate

Staff = Callable[[str], TestClient]
PARENT = "+447700900611"
CONTROL = "+447700900612"
WELSH = "+447700900613"
WELSH_CONTROL = "+447700900614"


def items(world: World, address: str) -> list[InboxItem]:
    with transaction(world.container.sessions) as session:
        return list(
            session.scalars(
                select(InboxItem)
                .where(InboxItem.contact_id == world.contact_id(address))
                .order_by(InboxItem.id)
            )
        )


def item_id(world: World, address: str, kind: str) -> int:
    return next(i.id for i in items(world, address) if i.kind == kind)


def count(world: World, model: type) -> int:
    with transaction(world.container.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def staff_replies(world: World) -> list[Outbox]:
    with transaction(world.container.sessions) as session:
        return list(
            session.scalars(select(Outbox).where(Outbox.dedupe_key.startswith("inbox-reply:")))
        )


def test_alerts_mid_onboarding_in_english_and_welsh_keep_the_usual_reply(world: World) -> None:
    for address in (PARENT, CONTROL, WELSH, WELSH_CONTROL):
        world.chat(Channel.SMS, address)
    world.say(PARENT, "bettws", "2")  # English; now asked for consent
    world.say(CONTROL, "bettws", "2")
    alarmed = world.say(PARENT, "Sorry I can't cope any more")
    # The configured signposting first (test_signposting.py), then the usual reply.
    assert "Samaritans" in alarmed[0]
    assert alarmed[1:] == world.say(CONTROL, "Sorry I am not sure yet")
    world.say(WELSH, "bettws", "1")
    world.say(WELSH_CONTROL, "bettws", "1")
    welsh = world.say(WELSH, "Dw i isio marw")
    assert "Samariaid" in welsh[0]
    assert welsh[1:] == world.say(WELSH_CONTROL, "Dw i ddim yn siwr")

    (alert,) = items(world, PARENT)
    assert (alert.kind, alert.matched, alert.text) == (
        "safeguarding",
        ["cant cope"],
        "Sorry I can't cope any more",
    )
    assert [(i.kind, i.matched) for i in items(world, WELSH)] == [("safeguarding", ["isio marw"])]
    assert items(world, CONTROL) == [] and items(world, WELSH_CONTROL) == []


def test_a_free_text_answer_is_stored_and_raises_an_alert(world: World) -> None:
    populate(world)
    launch(world.container, play_park())
    world.chats[ENGLISH_SMS].flush()
    world.say(ENGLISH_SMS, "No", "3", "1 and 3", "two", "1")
    said = "He hits me when the kids are asleep"
    assert "what happens next" in world.say(ENGLISH_SMS, said)[-1]
    assert world.answers(ENGLISH_SMS)["ideas"] == said
    assert [(i.kind, i.matched) for i in items(world, ENGLISH_SMS)] == [
        ("safeguarding", ["he hits me"])
    ]


def _two_items(world: World) -> tuple[int, int]:
    """An alert from a Telegram parent, then (later) an ordinary message from an SMS parent."""
    populate(world)
    world.say(ENGLISH_TELEGRAM, "My partner threatened me & I feel unsafe at home")
    world.now = world.now.replace(minute=30)
    world.say(ENGLISH_SMS, "Is the library open on Saturday?")
    return (
        item_id(world, ENGLISH_TELEGRAM, "safeguarding"),
        item_id(world, ENGLISH_SMS, "unexpected"),
    )


def test_the_inbox_lists_alerts_first_and_highlights_the_words(
    world: World, staff_client: Staff
) -> None:
    alert, unexpected = _two_items(world)
    page = staff_client("wendy").get("/admin/inbox").text
    assert page.index(f'id="item-{alert}"') < page.index(f'id="item-{unexpected}"')
    article = page[page.index(f'id="item-{alert}"') :]
    assert article.startswith(f'id="item-{alert}" role="alert"')
    assert "Safeguarding alert" in article and "Unexpected reply" in page
    assert "<mark>threatened me</mark>" in page
    assert "Is the library open on Saturday?" in page
    assert "Bettws" in page and "Telegram" in page and "2026-03-10 10:30" in page
    assert PARENT not in page and ENGLISH_SMS not in page and ENGLISH_TELEGRAM not in page


def test_a_worker_replies_and_the_parents_get_it_on_their_channels(
    world: World, staff_client: Staff, fake_twilio: FakeTwilio, fake_telegram: FakeTelegram
) -> None:
    alert, unexpected = _two_items(world)
    wendy = staff_client("wendy")
    item = wendy.get(f"/admin/inbox/{alert}").text
    assert "threatened me" in item and "Recent messages" in item
    assert "Your reply" in item and "SMS" in item  # the segment hint

    for number, text in ((alert, "We are here for you. Can we call?"), (unexpected, "Yes, 10-4.")):
        token = csrf_of(wendy, f"/admin/inbox/{number}")
        sent = wendy.post(
            f"/admin/inbox/{number}/reply",
            data={"text": text, "csrf": token},
            follow_redirects=False,
        )
        assert sent.status_code == 303
    rows = {row.channel: row for row in staff_replies(world)}
    assert rows["telegram"].contact_id == world.contact_id(ENGLISH_TELEGRAM)
    assert rows["sms"].contact_id == world.contact_id(ENGLISH_SMS)
    assert {row.kind for row in rows.values()} == {"reply"}
    assert "We are here for you" in wendy.get(f"/admin/inbox/{alert}").text

    run_dispatcher(telegram_dispatcher(world.container, fake_telegram), seconds=2)
    (message,) = fake_telegram.sent_messages(ENGLISH_TELEGRAM)
    assert message.params["text"] == "We are here for you. Can we call?"
    late = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # quiet hours: a reply is not held
    asyncio.run(_drain(sms_dispatcher(world.container, fake_twilio), late))
    (sms,) = fake_twilio.sent(ENGLISH_SMS)
    assert sms.params["Body"] == "Yes, 10-4."
    with transaction(world.container.sessions) as session:
        authors = session.scalars(select(InboxReply.author)).all()
        actions = session.scalars(select(AuditEntry.action)).all()
    assert list(authors) == ["wendy", "wendy"]
    assert actions.count("inbox.reply") == 2


async def _drain(dispatcher: Dispatcher, at: datetime) -> None:
    try:
        await dispatcher.drain(at)
    finally:
        await dispatcher.close()


def test_an_opted_out_parent_is_not_written_to(world: World, staff_client: Staff) -> None:
    alert, _ = _two_items(world)
    world.say(ENGLISH_TELEGRAM, "STOP")
    wendy = staff_client("wendy")
    page = wendy.get(f"/admin/inbox/{alert}").text
    assert "opted out" in page and 'id="reply-text"' not in page
    token = csrf_of(wendy, f"/admin/inbox/{alert}")
    refused = wendy.post(f"/admin/inbox/{alert}/reply", data={"text": "Hello", "csrf": token})
    assert refused.status_code == 409 and "opted out" in refused.text
    assert staff_replies(world) == [] and count(world, InboxReply) == 0


def test_an_unreachable_parent_is_not_written_to(world: World, staff_client: Staff) -> None:
    alert, _ = _two_items(world)
    with transaction(world.container.sessions) as session:
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.address == ENGLISH_TELEGRAM)
        ).one()
        identity.reachable, identity.unreachable_reason = False, "blocked"
    wendy = staff_client("wendy")
    token = csrf_of(wendy, f"/admin/inbox/{alert}")
    refused = wendy.post(f"/admin/inbox/{alert}/reply", data={"text": "Hello", "csrf": token})
    assert refused.status_code == 409 and "cannot be reached" in refused.text
    assert staff_replies(world) == [] and count(world, InboxReply) == 0


@pytest.mark.parametrize("text", ["", "   ", "x" * 1001])
def test_an_empty_or_long_reply_is_refused(world: World, staff_client: Staff, text: str) -> None:
    alert, _ = _two_items(world)
    wendy = staff_client("wendy")
    token = csrf_of(wendy, f"/admin/inbox/{alert}")
    refused = wendy.post(f"/admin/inbox/{alert}/reply", data={"text": text, "csrf": token})
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    assert "Write a reply" in refused.text or "at most 1000" in refused.text
    assert staff_replies(world) == [] and count(world, InboxReply) == 0


def test_marking_handled_moves_the_item_and_is_audited(world: World, staff_client: Staff) -> None:
    alert, _ = _two_items(world)
    cerys = staff_client("cerys")
    token = csrf_of(cerys, f"/admin/inbox/{alert}")
    done = cerys.post(f"/admin/inbox/{alert}/handled", data={"csrf": token})
    assert done.status_code == 200 and "Marked as handled." in done.text
    assert f'id="item-{alert}"' not in cerys.get("/admin/inbox").text
    handled = cerys.get("/admin/inbox?show=handled").text
    assert f'id="item-{alert}"' in handled and "by cerys" in handled
    with transaction(world.container.sessions) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "inbox.handled")
        ).one()
    assert (entry.actor, entry.community_id) == ("cerys", "bettws")
    assert entry.subject is not None and re.fullmatch(r"contact:[A-Z0-9-]+", entry.subject)


def test_other_communities_items_are_not_found(world: World, staff_client: Staff) -> None:
    alert, _ = _two_items(world)
    world.say(FELTHAM, "Where is the baby group?")
    feltham = item_id(world, FELTHAM, "unexpected")
    colin = staff_client("colin")
    listing = colin.get("/admin/inbox").text
    assert f'id="item-{feltham}"' in listing and f'id="item-{alert}"' not in listing
    token = csrf_of(colin, "/admin/inbox")
    assert colin.get(f"/admin/inbox/{alert}").status_code == 404
    for action in ("reply", "handled"):
        answer = colin.post(f"/admin/inbox/{alert}/{action}", data={"text": "hi", "csrf": token})
        assert answer.status_code == 404
    assert colin.get("/admin/inbox/999999").status_code == 404
    assert staff_client("wendy").get(f"/admin/inbox/{feltham}").status_code == 404
    assert f'id="item-{feltham}"' in staff_client("ada").get("/admin/inbox").text
    assert staff_replies(world) == [] and items(world, ENGLISH_TELEGRAM)[0].handled_at is None


def test_a_form_without_its_csrf_token_is_refused(world: World, staff_client: Staff) -> None:
    alert, _ = _two_items(world)
    wendy = staff_client("wendy")
    assert wendy.post(f"/admin/inbox/{alert}/reply", data={"text": "Hi"}).status_code == 403
    assert wendy.post(f"/admin/inbox/{alert}/handled", data={}).status_code == 403
    assert staff_replies(world) == [] and items(world, ENGLISH_TELEGRAM)[0].handled_at is None


def test_no_message_text_or_number_is_logged_at_info(
    world: World, staff_client: Staff, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    alert, _ = _two_items(world)
    wendy = staff_client("wendy")
    token = csrf_of(wendy, f"/admin/inbox/{alert}")
    wendy.post(f"/admin/inbox/{alert}/reply", data={"text": "Private words here", "csrf": token})
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    for secret in ("threatened", "library", "Private words", ENGLISH_SMS, ENGLISH_TELEGRAM):
        assert secret not in logged
