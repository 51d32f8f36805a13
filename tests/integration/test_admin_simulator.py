"""The dashboard simulator: staff talk to the real engine as a simulated parent.

Through real HTTP and the real InboundService: onboarding on SMS and Telegram, the fake
addresses, the dispatcher never handing a simulated parent's messages to a provider, who may
open a conversation, and a consultation that reaches the simulated parent without counting it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.consultation_yaml import load
from bot.consultations import launch
from conversations.types import Channel, OutgoingMessage
from storage import contacts, outbox
from storage.consultation_models import ConsultationAnswer
from storage.consultation_results import results
from storage.db import transaction
from storage.models import Child, Contact, ContactIdentity, Outbox
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio
from tests.integration.dispatching import run_dispatcher, sms_dispatcher, telegram_dispatcher
from tests.integration.staff_client import csrf_of
from tests.integration.world import START, World, populate

Client = Callable[[str], TestClient]
ROOT = Path(__file__).resolve().parents[2]


def start(client: TestClient, channel: str, language: str, community: str = "bettws") -> str:
    """Start a conversation through the form; returns its page's path (not yet opened)."""
    token = csrf_of(client, "/admin/simulator")
    response = client.post(
        "/admin/simulator/start",
        data={"channel": channel, "language": language, "community": community, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    path = response.headers["location"].split("#")[0]
    assert re.fullmatch(r"/admin/simulator/\d+", path)
    return path


def say(client: TestClient, path: str, text: str) -> str:
    """Type and send a message; returns the conversation page it leads to."""
    response = client.post(f"{path}/send", data={"text": text, "csrf": csrf_of(client, path)})
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def press(client: TestClient, path: str, label: str) -> str:
    """Press the button with this label on the conversation page."""
    page = html.unescape(client.get(path).text)
    found = re.search(rf'name="choice" value="([^"]+)">{re.escape(label)}</button>', page)
    assert found, f"no live button {label!r}"
    response = client.post(
        f"{path}/send", data={"choice": found.group(1), "csrf": csrf_of(client, path)}
    )
    assert response.status_code == 200, response.text
    return html.unescape(response.text)


def bot_said(page: str) -> list[str]:
    """The bot's bubbles on a conversation page, as text."""
    return [
        html.unescape(text)
        for text in re.findall(r'<div class="bubble"[^>]*>\s*<span class="sim-who">[^<]*</span>\s*'
                               r'<div class="sim-text">(.*?)</div>', page, re.S)
    ]  # fmt: skip


def code_of(page: str) -> str:
    found = re.search(r"Simulated contact: ([0-9A-Z]{4}-[0-9A-Z]{4})", page)
    assert found
    return found.group(1)


def contact(world: World, code: str) -> tuple[Contact, ContactIdentity]:
    with transaction(world.container.sessions) as session:
        row = session.scalars(select(Contact).where(Contact.code == code)).one()
        identity = session.scalars(
            select(ContactIdentity).where(ContactIdentity.contact_id == row.id)
        ).one()
        session.expunge_all()
        return row, identity


def contact_count(world: World) -> int:
    with transaction(world.container.sessions) as session:
        return session.scalar(select(func.count()).select_from(Contact)) or 0


def test_a_worker_onboards_a_welsh_parent_on_sms(world: World, staff_client: Client) -> None:
    wendy = staff_client("wendy")
    form = wendy.get("/admin/simulator").text
    assert 'id="sim-channel"' in form and 'id="sim-community"' in form
    assert '<option value="feltham"' not in form  # only her own community
    assert "Dechrau sgwrs" in wendy.get("/admin/simulator?lang=cy").text
    wendy.get("/admin/simulator?lang=en")
    path = start(wendy, "sms", "cy")
    page = html.unescape(wendy.get(path).text)
    welcome = bot_said(page)[0]
    assert "Pa iaith hoffech chi?" in welcome and "Which language would you like?" in welcome
    assert "1 Cymraeg\n2 English" in welcome  # numbered options, as the phone shows them
    assert "Segments: 3 · GSM-7" in page
    assert '<div class="sim-text">bettws</div>' in page  # the first SMS word names the community
    assert "Ydych chi'n cytuno?" in bot_said(say(wendy, path, "1"))[-1]
    assert "Wedi cyrraedd" in bot_said(say(wendy, path, "1"))[-1]
    say(wendy, path, "2")
    page = say(wendy, path, "12/6/2025")
    assert "1 Hepgor" in bot_said(page)[-1]
    assert "· UCS-2" in page  # "Mynd yn ôl": a circumflex makes the SMS UCS-2
    say(wendy, path, "hepgor")
    assert "Plentyn a anwyd 12 Mehefin 2025" in bot_said(say(wendy, path, "2"))[-1]
    page = say(wendy, path, "1")
    assert "Dyna ni, diolch!" in bot_said(page)[-2]
    world.tick(START + timedelta(days=7, minutes=1))  # next Tuesday's tip, sent by the clock
    later = bot_said(html.unescape(wendy.get(path).text))
    assert len(later) == len(bot_said(page)) + 1 and later[-1] not in bot_said(page)
    row, identity = contact(world, code_of(page))
    assert row.is_simulated and row.language == "cy" and row.community_id == "bettws"
    assert identity.channel == "sms"
    assert re.fullmatch(r"\+447700900\d{3}", identity.address)
    assert identity.address not in page  # staff never see the number
    with transaction(world.container.sessions) as session:
        births = session.scalars(select(Child.birth_date).where(Child.contact_id == row.id))
        assert list(births) == [date(2025, 6, 12)]


def test_a_parent_on_telegram_presses_buttons(world: World, staff_client: Client) -> None:
    wendy = staff_client("wendy")
    path = start(wendy, "telegram", "cy")
    page = html.unescape(wendy.get(path).text)
    assert '<div class="sim-text">/start bettws</div>' in page
    assert "1 Cymraeg" not in page  # Telegram shows buttons, not numbered options
    assert 'value="lang:cy">Cymraeg</button>' in page
    page = press(wendy, path, "Cymraeg")
    assert '<div class="sim-text">Cymraeg</div>' in page  # the press, as the parent's bubble
    assert "Ydych chi'n cytuno?" in bot_said(page)[-1]
    assert 'value="lang:cy"' not in page  # an answered keyboard can no longer be pressed
    page = press(wendy, path, "Ydw, rwy'n cytuno")
    page = press(wendy, path, "Wedi cyrraedd")
    page = say(wendy, path, "1/2/2024")
    row, identity = contact(world, code_of(page))
    assert row.is_simulated and row.language == "cy"
    assert identity.channel == "telegram" and int(identity.address) < -(10**18)
    stale = wendy.post(f"{path}/send", data={"choice": "lang:en", "csrf": csrf_of(wendy, path)})
    assert stale.status_code == 400 and "no longer on the screen" in stale.text


def test_the_dispatcher_never_sends_a_simulated_parents_messages(
    world: World, staff_client: Client, fake_telegram: FakeTelegram, fake_twilio: FakeTwilio
) -> None:
    wendy, ada = staff_client("wendy"), staff_client("ada")
    sms, telegram = start(wendy, "sms", "en"), start(ada, "telegram", "en")  # pages not opened
    real = "+447700900777"
    with transaction(world.container.sessions) as session:
        identity = contacts.find_or_create(session, Channel.SMS, real, "bettws", START)
        outbox.enqueue(
            session, identity.contact_id, identity, OutgoingMessage("Hi", ("en",)), START
        )
    with transaction(world.container.sessions) as session:
        waiting = session.scalars(
            select(Outbox)
            .join(Contact, Contact.id == Outbox.contact_id)
            .where(Contact.is_simulated.is_(True), Outbox.status == "queued")
        ).all()
        assert {row.channel for row in waiting} == {"sms", "telegram"}
    run_dispatcher(telegram_dispatcher(world.container, fake_telegram), seconds=3)
    run_dispatcher(sms_dispatcher(world.container, fake_twilio), seconds=3)
    assert fake_telegram.sent_messages() == []
    assert [call.to for call in fake_twilio.sent()] == [real]  # the dispatcher did run
    assert "Which language" in wendy.get(sms).text and "Which language" in ada.get(telegram).text


def test_only_the_person_who_started_it_may_open_it(world: World, staff_client: Client) -> None:
    wendy, cerys, colin = staff_client("wendy"), staff_client("cerys"), staff_client("colin")
    path = start(wendy, "sms", "en")
    assert cerys.get(path).status_code == 404
    assert colin.get(path).status_code == 404
    token = csrf_of(cerys, "/admin/simulator")
    assert cerys.post(f"{path}/send", data={"text": "hi", "csrf": token}).status_code == 404
    assert cerys.post(f"{path}/end", data={"csrf": token}).status_code == 404
    assert wendy.get(path).status_code == 200
    assert cerys.get("/admin/simulator/999999").status_code == 404
    assert cerys.get("/admin/simulator/abc").status_code == 404
    anonymous = TestClient(wendy.app)
    assert anonymous.get(path, follow_redirects=False).status_code == 303


def test_forms_need_csrf_and_good_input(world: World, staff_client: Client) -> None:
    wendy, colin = staff_client("wendy"), staff_client("colin")
    before = contact_count(world)
    form = {"channel": "sms", "language": "en", "community": "bettws"}
    assert wendy.post("/admin/simulator/start", data=form).status_code == 403
    token = csrf_of(wendy, "/admin/simulator")
    bad = wendy.post("/admin/simulator/start", data={**form, "channel": "fax", "csrf": token})
    assert bad.status_code == 400 and 'role="alert"' in bad.text
    assert "Choose a channel and a language." in bad.text
    theirs = csrf_of(colin, "/admin/simulator")
    assert colin.post("/admin/simulator/start", data={**form, "csrf": theirs}).status_code == 404
    welsh = colin.post(
        "/admin/simulator/start",
        data={**form, "community": "feltham", "language": "cy", "csrf": theirs},
    )
    assert welsh.status_code == 400 and "not in that language" in html.unescape(welsh.text)
    assert contact_count(world) == before  # nothing stored
    path = start(wendy, "sms", "en")
    assert wendy.post(f"{path}/send", data={"text": "2"}).status_code == 403
    assert wendy.post(f"{path}/end", data={}).status_code == 403
    empty = wendy.post(f"{path}/send", data={"text": "  ", "csrf": token})
    assert empty.status_code == 400 and "Write a message first." in empty.text


def test_start_again_forgets_the_simulated_parent(world: World, staff_client: Client) -> None:
    wendy = staff_client("wendy")
    first = start(wendy, "sms", "en")
    code = code_of(wendy.get(first).text)
    second = start(wendy, "telegram", "en")  # a new start ends the one before
    assert wendy.get(first).status_code == 404
    ended = wendy.post(f"{second}/end", data={"csrf": csrf_of(wendy, second)})
    assert ended.status_code == 200 and "The conversation has ended." in ended.text
    assert wendy.get(second).status_code == 404
    assert 'id="sim-continue"' not in ended.text
    with transaction(world.container.sessions) as session:
        assert session.scalars(select(Contact).where(Contact.code == code)).first() is None
        assert session.scalars(select(Contact).where(Contact.is_simulated.is_(True))).all() == []


def test_a_consultation_reaches_the_simulated_parent_but_is_not_counted(
    world: World, staff_client: Client
) -> None:
    populate(world)
    wendy = staff_client("wendy")
    path = start(wendy, "sms", "en")
    for line in ("2", "1", "2", "3/3/2025", "skip", "2", "1"):
        say(wendy, path, line)
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml")
    assert consultation is not None, problems
    launch(world.container, replace(consultation))
    page = html.unescape(wendy.get(path).text)  # what the clock sent shows on reload
    assert any("play park" in text for text in bot_said(page))
    say(wendy, path, "1")
    with transaction(world.container.sessions) as session:
        simulated = session.scalars(select(Contact).where(Contact.is_simulated.is_(True))).one()
        summary = results(session, "play-park", threshold=1)
        answers = session.scalars(
            select(ConsultationAnswer.value).where(ConsultationAnswer.contact_id == simulated.id)
        ).all()
    assert answers == ["yes"]  # the engine took the answer
    assert (summary.invited, summary.started) == (5, 0)
    uses = next(q for q in summary.questions if q.id == "uses")
    assert {c.key: c.count for c in uses.counts} == {"yes": 0, "no": 0}
