"""Contacts: search by code without addresses, open one with an audit entry, refusals."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from conversations.types import Channel
from storage.audit_models import AuditEntry
from storage.contact_search import CODE_ALPHABET, normalise_code
from storage.db import transaction
from storage.models import Contact
from tests.integration.world import ENGLISH_TELEGRAM, FELTHAM, WELSH_SMS, World, populate

Client = Callable[[str], TestClient]
codes = st.text(CODE_ALPHABET, min_size=8, max_size=8).map(lambda raw: f"{raw[:4]}-{raw[4:]}")


@given(codes, st.integers(0, 8), st.sampled_from(["", " ", "-", "  "]))
def test_a_typed_code_or_its_start_normalises_to_the_stored_form(
    code: str, length: int, gap: str
) -> None:
    raw = code.replace("-", "")[:length]
    typed = gap.join(raw[i : i + 2] for i in range(0, len(raw), 2)).lower()
    found = normalise_code(f" {typed} ")
    assert found is not None and code.startswith(found)
    assert len(found.replace("-", "")) == length


@given(st.text(max_size=20))
def test_anything_typed_is_refused_or_a_code_prefix(text: str) -> None:
    found = normalise_code(text)
    if found is not None:
        assert set(found) <= set(CODE_ALPHABET) | {"-"} and len(found) <= 9
        assert "-" not in found or found.index("-") == 4


def test_lookalike_letters_are_read_as_digits() -> None:
    assert normalise_code("o1li") == "0111" and normalise_code("Oo-Ii L") == "0011-1"
    assert normalise_code("k7p3m9xz") == "K7P3-M9XZ"
    assert normalise_code("K7P3-M9XZ0") is None and normalise_code("K7U") is None


def _codes(world: World) -> dict[str, str]:
    with transaction(world.container.sessions) as session:
        rows = session.execute(select(Contact.id, Contact.code, Contact.community_id)).all()
    return {code: community for _id, code, community in rows}


def _code_of(world: World, address: str) -> str:
    with transaction(world.container.sessions) as session:
        return session.get_one(Contact, world.contact_id(address)).code


def test_search_by_code_prefix_shows_no_addresses(world: World, staff_client: Client) -> None:
    populate(world)
    world.join(Channel.SMS, "+447700900599", "bettws", "2", "1", "2", "3/3/2025", "skip", "2", "1",
               real=False)  # fmt: skip
    client = staff_client("cerys")
    everyone = client.get("/admin/contacts")
    assert everyone.status_code == 200
    bettws = {code for code, community in _codes(world).items() if community == "bettws"}
    assert f"Contacts found: {len(bettws)}" in everyone.text
    assert "(simulated)" in everyone.text
    assert _code_of(world, FELTHAM) not in everyone.text
    welsh = _code_of(world, WELSH_SMS)
    prefix = welsh[:3]
    found = client.get(f"/admin/contacts?code={prefix.lower()}")
    assert found.status_code == 200
    expected = {code for code in bettws if code.startswith(prefix)}
    shown = {code for code in bettws if f">{code}</a>" in found.text}
    assert shown == expected and welsh in shown
    exact = client.get(f"/admin/contacts?code={welsh.replace('-', ' ').lower()}")
    assert f">{welsh}</a>" in exact.text and "Contacts found: 1" in exact.text
    for page in (everyone.text, found.text, exact.text):
        assert "+447700900" not in page and ENGLISH_TELEGRAM not in page
    telegram = client.get("/admin/contacts?channel=telegram").text
    assert "Contacts found: 1" in telegram and _code_of(world, ENGLISH_TELEGRAM) in telegram
    welsh_only = client.get("/admin/contacts?language=cy").text
    assert "Contacts found: 1" in welsh_only and welsh in welsh_only
    assert "6-12 months" in welsh_only  # born 12 June 2025, 38 weeks on 10 March 2026
    bad = client.get("/admin/contacts?code=K7U*")
    assert bad.status_code == 400 and "up to 8 letters and digits" in bad.text


def test_opening_a_contact_shows_the_number_and_writes_one_audit_row(
    world: World, staff_client: Client
) -> None:
    populate(world)
    code = _code_of(world, WELSH_SMS)
    page = staff_client("cerys").get(f"/admin/contacts/{code}")
    assert page.status_code == 200
    assert WELSH_SMS in page.text and "6-12 months" in page.text and "born 2025-06" in page.text
    assert "To the family" in page.text and "From the family" in page.text
    with transaction(world.container.sessions) as session:
        rows = session.scalars(select(AuditEntry)).all()
        assert [(r.action, r.subject, r.actor, r.community_id) for r in rows] == [
            ("contact.open", f"contact:{code}", "cerys", "bettws")
        ]


def test_another_communitys_contact_is_not_found_and_a_worker_is_refused(
    world: World, staff_client: Client
) -> None:
    populate(world)
    code = _code_of(world, WELSH_SMS)
    colin = staff_client("colin")
    assert colin.get(f"/admin/contacts/{code}").status_code == 404
    searched = colin.get(f"/admin/contacts?code={code}").text
    assert "Contacts found: 0" in searched and f">{code}</a>" not in searched
    assert colin.get(f"/admin/contacts/{_code_of(world, FELTHAM)}").status_code == 200
    wendy = staff_client("wendy")
    assert wendy.get("/admin/contacts").status_code == 403
    assert wendy.get(f"/admin/contacts/{code}").status_code == 403
    with transaction(world.container.sessions) as session:
        subjects = session.scalars(select(AuditEntry.subject)).all()
    assert subjects == [f"contact:{_code_of(world, FELTHAM)}"]
