"""A new privacy notice: nothing proactive until the parent agrees again; then it all flows.

Families join through the real service; the notice version changes as a deployment's would;
the clock (`run_pass`, what `tick --at` runs) holds tips, invitations, announcements and
reminders, and asks each parent once, outside quiet hours. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.consultations import launch
from bot.events import create
from conversations.types import Channel
from storage.db import transaction
from storage.models import Consent, Contact, Outbox
from tests.integration.test_consultations import play_park
from tests.integration.test_events import rhyme_time
from tests.integration.world import ENGLISH_SMS, FELTHAM, START, WELSH_SMS, World, populate

NEW = "2027-01"
WEDNESDAY = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)  # the day before rhyme time: reminder due
NEXT_TUESDAY = datetime(2026, 3, 17, 10, 5, tzinfo=UTC)  # tips are due on Tuesdays at ten


def new_notice(world: World, version: str = NEW) -> None:
    """The deployment changes PRIVACY_NOTICE_VERSION (the engine and the clock both read it)."""
    engine = world.container.engine
    engine.config = replace(engine.config, privacy_notice_version=version)


def keys(world: World, address: str) -> list[str]:
    with transaction(world.container.sessions) as session:
        rows = session.scalars(
            select(Outbox.dedupe_key)
            .where(Outbox.contact_id == world.contact_id(address), Outbox.dedupe_key.is_not(None))
            .order_by(Outbox.id)
        ).all()
    return [str(key) for key in rows]


def consents(world: World, address: str) -> list[tuple[str, bool]]:
    with transaction(world.container.sessions) as session:
        rows = session.execute(
            select(Consent.notice_version, Consent.agreed)
            .where(Consent.contact_id == world.contact_id(address))
            .order_by(Consent.id)
        ).all()
    return [(version, agreed) for version, agreed in rows]


def status(world: World, address: str) -> tuple[str, str | None]:
    with transaction(world.container.sessions) as session:
        contact = session.get_one(Contact, world.contact_id(address))
        return contact.status, contact.consent_version


def test_tips_invitations_announcements_and_reminders_wait_until_the_parent_agrees(
    world: World,
) -> None:
    populate(world)
    create(world.container, rhyme_time())  # announced under the old notice
    world.say(WELSH_SMS, "1")  # Ie: booked
    world.say(ENGLISH_SMS, "1")  # Yes: booked
    new_notice(world)

    launch(world.container, play_park())
    assert world.outbox(WELSH_SMS, "intro") == [] and world.outbox(ENGLISH_SMS, "intro") == []
    assert world.invite(WELSH_SMS).status == "pending"  # type: ignore[union-attr]
    starts = START + timedelta(days=10)
    second = rhyme_time(id="rhyme-time-2", starts_at=starts, ends_at=starts + timedelta(hours=1))
    later = create(world.container, second)
    assert later.messages == 0  # everyone in the audience is still on the old notice

    written = world.tick(WEDNESDAY)
    assert written["events"] == 0 and written["consultations"] == 0
    assert not [k for k in keys(world, WELSH_SMS) if ":r" in k]  # the reminder is held
    asked = world.outbox(WELSH_SMS, "reconsent:")
    assert len(asked) == 1 and asked[0].kind == "proactive"
    assert (
        asked[0].message["locales"] == ["cy"]
        and "hysbysiad preifatrwydd" in (asked[0].message["text"])
    )
    assert len(world.outbox(FELTHAM, "reconsent:")) == 1
    world.tick(WEDNESDAY + timedelta(minutes=1))  # a second pass asks nobody twice
    assert len(world.outbox(WELSH_SMS, "reconsent:")) == 1

    # The English parent agrees: the consultation starts at once, the rest on the next pass.
    reply = world.say(ENGLISH_SMS, "yes")  # after the question, delivered by the terminal now
    assert any(text.startswith("Thank you") for text in reply)
    assert consents(world, ENGLISH_SMS)[-1] == (NEW, True)
    assert status(world, ENGLISH_SMS) == ("active", NEW)
    assert world.invite(ENGLISH_SMS).status == "asked"  # type: ignore[union-attr]
    world.tick(WEDNESDAY + timedelta(minutes=2))
    assert [k for k in keys(world, ENGLISH_SMS) if ":r" in k]  # the held reminder goes now
    assert world.outbox(ENGLISH_SMS, "e:rhyme-time-2:announce")  # and the held announcement
    assert not [k for k in keys(world, WELSH_SMS) if ":r" in k]  # still held
    assert world.outbox(WELSH_SMS, "e:rhyme-time-2:announce") == []
    assert world.invite(WELSH_SMS).status == "pending"  # type: ignore[union-attr]

    # A tip due while the Welsh parent has not answered waits for them.
    world.tick(NEXT_TUESDAY)
    assert not [k for k in keys(world, WELSH_SMS) if k.startswith("tip:")]
    assert any(text.startswith("Diolch") for text in world.say(WELSH_SMS, "ie"))
    assert status(world, WELSH_SMS) == ("active", NEW)
    world.tick(NEXT_TUESDAY + timedelta(minutes=5))
    assert [k for k in keys(world, WELSH_SMS) if k.startswith("tip:")]


def test_the_question_comes_first_on_the_next_message_and_keywords_still_work(
    world: World,
) -> None:
    world.join(Channel.SMS, ENGLISH_SMS, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    new_notice(world)
    reply = world.say(ENGLISH_SMS, "hello")
    assert "updated our privacy notice" in reply[-1] and "http" in reply[-1]
    helped = world.say(ENGLISH_SMS, "HELP")
    assert "Early Learning Community helper" in helped[0]
    assert "updated our privacy notice" in helped[-1]
    assert "didn't understand" in world.say(ENGLISH_SMS, "maybe later")[-1]

    # Declining opts the parent out, politely, as onboarding's "no thanks" does.
    goodbye = world.say(ENGLISH_SMS, "no")
    assert "won't send you any more messages" in goodbye[-1] and "START" in goodbye[-1]
    assert status(world, ENGLISH_SMS) == ("opted_out", None)
    assert consents(world, ENGLISH_SMS)[-1] == (NEW, False)
    world.tick(datetime(2026, 3, 17, 10, 5, tzinfo=UTC))
    assert not [k for k in keys(world, ENGLISH_SMS) if k.startswith(("tip:", "reconsent:"))]

    # START brings them back to the question (their children are kept), not to onboarding.
    back = world.say(ENGLISH_SMS, "START")
    assert "updated our privacy notice" in back[-1]
    world.say(ENGLISH_SMS, "yes")
    assert status(world, ENGLISH_SMS) == ("active", NEW)
    world.tick(datetime(2026, 3, 24, 10, 5, tzinfo=UTC))
    assert [k for k in keys(world, ENGLISH_SMS) if k.startswith("tip:")]
    # STOP works whatever the notice.
    new_notice(world, "2027-06")
    assert "unsubscribed" in world.say(ENGLISH_SMS, "STOP")[-1]
    assert status(world, ENGLISH_SMS)[0] == "opted_out"


def test_an_interrupted_conversation_resumes_after_agreeing(world: World) -> None:
    world.join(Channel.SMS, ENGLISH_SMS, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    world.say(ENGLISH_SMS, "TIPS")  # choosing a tip day when the notice changes
    new_notice(world)
    assert "updated our privacy notice" in world.say(ENGLISH_SMS, "1")[-1]
    resumed = world.say(ENGLISH_SMS, "yes")
    assert "Thank you" in resumed[0] and len(resumed) == 2  # then the tip-day question again
    assert resumed[1] != resumed[0]


def test_nobody_is_asked_in_quiet_hours_and_each_version_is_asked_once(world: World) -> None:
    world.join(Channel.SMS, ENGLISH_SMS, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    new_notice(world)
    assert world.tick(datetime(2026, 3, 10, 21, 0, tzinfo=UTC))["consent"] == 0  # 21:00
    assert world.tick(datetime(2026, 3, 11, 7, 59, tzinfo=UTC))["consent"] == 0
    assert world.tick(datetime(2026, 3, 11, 8, 0, tzinfo=UTC))["consent"] == 1
    world.say(ENGLISH_SMS, "yes")
    assert world.tick(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))["consent"] == 0
    new_notice(world, "2027-06")  # another change: asked once more
    assert world.tick(datetime(2026, 3, 11, 10, 0, tzinfo=UTC))["consent"] == 1
