"""The events pages: a worker creates, edits, cancels and marks attendance; parents hear of it.

Real HTTP (TestClient) and the real engine: parents join and answer through the service, and
what they are sent is read from the outbox. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conversations.types import Channel
from storage import audit
from storage.db import transaction
from storage.event_models import Event as EventRow
from storage.models import Contact
from tests.integration.staff_client import csrf_of
from tests.integration.world import ENGLISH_SMS, ENGLISH_TELEGRAM, FELTHAM, WELSH_SMS, World

Clients = Callable[[str], TestClient]
EVENT_ID = "rhyme-time-at-bettws-library-2026-03-12"
STARTS = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT)


def families(world: World) -> None:
    """Welsh SMS, English Telegram and English SMS families in Bettws; one in Feltham."""
    world.join(Channel.SMS, WELSH_SMS, "bettws", "1", "1", "2", "12/6/2025", "hepgor", "2", "1")
    world.join(
        Channel.TELEGRAM, ENGLISH_TELEGRAM, "/start bettws", "2", "1", "2", "1/2/2024", "Sam",
        "2", "1",
    )  # fmt: skip
    world.join(Channel.SMS, ENGLISH_SMS, "bettws", "2", "1", "2", "3/1/2023", "skip", "2", "1")
    world.join(Channel.SMS, FELTHAM, "feltham", "1", "2", "3/1/2025", "skip", "2", "1")


def form(**changes: str | list[str]) -> dict[str, str | list[str]]:
    values: dict[str, str | list[str]] = {
        "community": "bettws",
        "title_en": "Rhyme time at Bettws Library",
        "title_cy": "Amser rhigwm yn Llyfrgell Bettws",
        "description_en": "Songs and rhymes for babies and toddlers.",
        "description_cy": "Caneuon a rhigymau i fabanod a phlant bach.",
        "venue_en": "Bettws Library, Newport",
        "venue_cy": "Llyfrgell Bettws, Casnewydd",
        "start_date": "2026-03-12",
        "start_time": "09:00",
        "end_time": "09:45",
        "capacity": "1",
        "id": "",
    }
    values.update(changes)
    return values


def post(
    client: TestClient, path: str, data: dict[str, str | list[str]], csrf_from: str
) -> httpx.Response:
    return client.post(
        path, data={**data, "csrf": csrf_of(client, csrf_from)}, follow_redirects=False
    )


def create(client: TestClient, **changes: str | list[str]) -> str:
    """Create through the form; the notice it lands on."""
    response = client.post(
        "/admin/events/new",
        data={**form(**changes), "csrf": csrf_of(client, "/admin/events/new")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"].startswith(f"/admin/events/{EVENT_ID}?")
    page = client.get(response.headers["location"])
    notice = re.search(r'id="done">([^<]*)<', page.text)
    assert notice, page.text
    return notice.group(1)


def events_stored(world: World) -> int:
    with transaction(world.container.sessions) as session:
        return session.scalar(select(func.count()).select_from(EventRow)) or 0


def code_of(world: World, address: str) -> str:
    with transaction(world.container.sessions) as session:
        return session.get_one(Contact, world.contact_id(address)).code


def actions(world: World) -> list[str]:
    with transaction(world.container.sessions) as session:
        return [e.action for e in audit.recent(session, subject=f"event:{EVENT_ID}")]


def test_a_worker_creates_a_bilingual_event_and_parents_hear_in_their_language(
    world: World, staff_client: Clients
) -> None:
    families(world)
    wendy = staff_client("wendy")
    form_page = wendy.get("/admin/events/new")
    assert 'for="title_cy"' in form_page.text and "Feltham" not in form_page.text

    # The id is left empty: it is made from the English title and the date.
    assert create(wendy) == "Created and announced. Parents told: 3"
    welsh = world.outbox(WELSH_SMS, "announce")
    english = world.outbox(ENGLISH_TELEGRAM, "announce")
    assert len(welsh) == 1 and "Amser rhigwm yn Llyfrgell Bettws" in welsh[0].message["text"]
    assert "Rhyme time at Bettws Library" in english[0].message["text"]
    assert world.outbox(FELTHAM, "announce") == []
    assert actions(world) == ["event.create"]

    listing = wendy.get("/admin/events").text
    assert (
        "Rhyme time at Bettws Library" in listing
        and "Thursday 12 March 2026, 09:00–09:45" in listing
    )
    welsh_page = wendy.get(f"/admin/events/{EVENT_ID}?lang=cy").text
    assert (
        "Amser rhigwm yn Llyfrgell Bettws" in welsh_page and "Dydd Iau 12 Mawrth 2026" in welsh_page
    )

    # The same id again is refused, and nothing more is sent.
    wendy.get("/admin/events?lang=en")
    again = post(wendy, "/admin/events/new", form(id=EVENT_ID), "/admin/events/new")
    assert again.status_code == 400
    assert "There is already an event with this id" in again.text
    assert len(world.outbox(WELSH_SMS, "announce")) == 1


def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(
    world: World, staff_client: Clients
) -> None:
    wendy = staff_client("wendy")
    cases = {
        "title_cy": (form(title_cy=""), "needs this text in each language it speaks"),
        "end_time": (form(end_time="08:30"), "The end should be after the start."),
        "start_time": (form(start_time="9 o'clock"), "Give a date like 2027-03-09"),
        "capacity": (form(capacity="lots"), "Give a whole number of places"),
        "id": (form(id="Rhyme Time!"), "Use 1 to 48 lower-case letters"),
        "reminders": (form(reminders=["P7D", "P1D", "PT2H", "PT1H"]), "at most 3 reminders"),
        "clocks": (form(start_date="2026-03-29", start_time="01:30"), "the clocks go forward"),
        "community": (form(community="atlantis"), "Choose one of your communities."),
        "passed": (form(start_date="2026-03-01"), "That time has already passed"),
    }
    for name, (data, shown) in cases.items():
        response = post(wendy, "/admin/events/new", data, "/admin/events/new")
        assert response.status_code == 400, name
        assert shown in response.text, (name, response.text)
        assert 'role="alert"' in response.text
    # What was typed is shown again, so nothing has to be typed twice.
    kept = post(wendy, "/admin/events/new", form(title_cy=""), "/admin/events/new")
    assert 'value="Rhyme time at Bettws Library"' in kept.text
    assert events_stored(world) == 0


def test_rsvps_show_by_code_and_an_edit_tells_those_going(
    world: World, staff_client: Clients
) -> None:
    families(world)
    wendy = staff_client("wendy")
    create(wendy)
    world.say(WELSH_SMS, "1")  # Ie: the one place
    world.chats[ENGLISH_TELEGRAM].flush()
    world.say(ENGLISH_TELEGRAM, "1")  # Yes, but it is full: the waiting list
    world.say(ENGLISH_SMS, "2")  # maybe

    page = wendy.get(f"/admin/events/{EVENT_ID}").text
    rsvps = page[page.index('id="rsvps"') : page.index('id="waiting"')]
    waiting = page[page.index('id="waiting"') :]
    assert code_of(world, WELSH_SMS) in rsvps and code_of(world, ENGLISH_SMS) in rsvps
    assert code_of(world, ENGLISH_TELEGRAM) in waiting.split("</table>")[0]
    for address in (WELSH_SMS, ENGLISH_SMS, ENGLISH_TELEGRAM):
        assert address.lstrip("+") not in page  # codes, never numbers or Telegram ids
    assert re.search(r'id="count-going">1<', page) and re.search(r'id="count-waiting">1<', page)
    assert "Attendance can be marked once the event has started." in page

    # A new time and a second place: those going or maybe are told; the one waiting gets it.
    edit_page = wendy.get(f"/admin/events/{EVENT_ID}/edit").text
    assert 'value="09:00"' in edit_page and 'value="Llyfrgell Bettws, Casnewydd"' in edit_page
    changed = form(start_time="10:00", end_time="10:45", capacity="2")
    response = post(
        wendy, f"/admin/events/{EVENT_ID}/edit", changed, f"/admin/events/{EVENT_ID}/edit"
    )
    assert response.status_code == 303
    notice = wendy.get(response.headers["location"]).text
    assert "Saved. Parents told about the change: 3" in notice
    assert "10:00–10:45" in notice
    welsh = world.outbox(WELSH_SMS, "changed")
    assert len(welsh) == 1 and "10:00" in welsh[0].message["text"]
    assert "Amser rhigwm" in welsh[0].message["text"]  # in Welsh
    assert len(world.outbox(ENGLISH_SMS, "changed")) == 1
    told = world.chats[ENGLISH_TELEGRAM].flush()
    assert any("a place has come up" in text for text in told)
    assert re.search(r'id="count-going">2<', notice) and re.search(r'id="count-waiting">0<', notice)

    # A bad edit is refused and changes nothing.
    bad = post(wendy, f"/admin/events/{EVENT_ID}/edit", form(end_time="07:00"), "/admin/events")
    assert bad.status_code == 400
    assert "10:00–10:45" in wendy.get(f"/admin/events/{EVENT_ID}").text

    # After it starts: attendance, stored and counted.
    world.now = STARTS + timedelta(hours=1, minutes=50)  # it has ended
    world.container.clock = lambda: world.now
    page = wendy.get(f"/admin/events/{EVENT_ID}").text
    assert 'id="attendance"' in page and 'id="edit-event"' not in page
    marks = {
        f"attended_{code_of(world, WELSH_SMS)}": "yes",
        f"attended_{code_of(world, ENGLISH_TELEGRAM)}": "no",
        f"attended_{code_of(world, ENGLISH_SMS)}": "",
    }
    done = post(wendy, f"/admin/events/{EVENT_ID}/attendance", marks, f"/admin/events/{EVENT_ID}")
    assert done.status_code == 303
    page = wendy.get(done.headers["location"]).text
    assert "Attendance saved. Marked: 1" in page and re.search(r'id="count-attended">1<', page)
    assert f'id="att-{code_of(world, ENGLISH_TELEGRAM)}-no" value="no" checked' in page
    assert actions(world) == ["event.attendance", "event.update", "event.create"]


def test_cancelling_tells_everyone_going_maybe_or_waiting(
    world: World, staff_client: Clients
) -> None:
    families(world)
    cerys = staff_client("cerys")
    create(cerys)
    world.say(WELSH_SMS, "1")
    world.chats[ENGLISH_TELEGRAM].flush()
    world.say(ENGLISH_TELEGRAM, "1")  # waiting
    world.say(ENGLISH_SMS, "3")  # no

    confirm = cerys.get(f"/admin/events/{EVENT_ID}/cancel").text
    assert "Parents who will be told: 2" in confirm
    path = f"/admin/events/{EVENT_ID}/cancel"
    response = post(cerys, path, {}, path)
    assert response.status_code == 303
    page = cerys.get(response.headers["location"]).text
    assert "Cancelled. Parents told: 2" in page and 'id="edit-event"' not in page
    assert "wedi'i ganslo" in world.outbox(WELSH_SMS, "cancelled")[0].message["text"]
    assert len(world.outbox(ENGLISH_TELEGRAM, "cancelled")) == 1
    assert world.outbox(ENGLISH_SMS, "cancelled") == []
    assert actions(world) == ["event.cancel", "event.create"]
    again = post(cerys, path, {}, f"/admin/events/{EVENT_ID}")
    assert again.status_code == 400
    listing = cerys.get("/admin/events").text
    assert "No upcoming events." in listing and "Cancelled" in listing


def test_other_communities_get_404_and_forms_without_csrf_get_403(
    world: World, staff_client: Clients
) -> None:
    wendy, colin, ada = staff_client("wendy"), staff_client("colin"), staff_client("ada")
    create(wendy)
    base = f"/admin/events/{EVENT_ID}"
    for path in (base, f"{base}/edit", f"{base}/cancel"):
        assert colin.get(path).status_code == 404, path
    for path in (f"{base}/edit", f"{base}/cancel", f"{base}/attendance"):
        assert post(colin, path, form(), "/admin/events").status_code == 404, path
    assert "Rhyme time" not in colin.get("/admin/events").text
    assert post(colin, "/admin/events/new", form(id="x"), "/admin/events/new").status_code == 404
    assert colin.get("/admin/events/no-such-event").status_code == 404
    assert "Rhyme time" in ada.get("/admin/events").text

    for path in ("/admin/events/new", f"{base}/edit", f"{base}/cancel", f"{base}/attendance"):
        response = wendy.post(path, data=form(id="other"), follow_redirects=False)
        assert response.status_code == 403, path
    assert events_stored(world) == 1
    assert wendy.get(base).status_code == 200 and "Cancelled" not in wendy.get(base).text
