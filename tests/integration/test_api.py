"""The JSON API under /api: bearer tokens with staff roles, over real HTTP and a real database.

A worker's token for Bettws launches a Bettws consultation (dry run, then for real), is refused
results and never sees Feltham's; bodies are checked, and the schema documents /api only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from admin.auth import StaffIdentity
from bot.desks.tokens import TokensDesk
from bot.web import create_app
from storage.audit_models import AuditEntry
from storage.consultation_models import Consultation as ConsultationRow
from storage.db import transaction
from storage.event_models import Event as EventRow
from storage.staff_models import ApiToken
from tests.integration.world import ENGLISH_TELEGRAM, START, WELSH_SMS, World, populate

ROOT = Path(__file__).resolve().parents[2]
ADA = StaffIdentity(id=0, username="ada", role="admin", communities=(), stamp="")
RHYME_TIME = "bettws-rhyme-time-2027-03-09"
Token = Callable[[str, str, list[str]], dict[str, str]]


def definition(name: str, **changes: Any) -> dict[str, Any]:
    """An example YAML file as the JSON an integration would send."""
    data = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
    data.update(changes)
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


def play_park(**changes: Any) -> dict[str, Any]:
    return definition("consultations/play-park.yaml", **changes)


def feltham_park() -> dict[str, Any]:
    data = play_park(id="feltham-park", audience={"community": "feltham"})
    options = [o for q in data["questions"] for o in q.get("options", [])]
    for part in (data, *data["questions"], *options):
        for key in ("title", "intro", "text"):
            if key in part:
                part[key] = {"en": part[key]["en"]}
    return data


def count(world: World, table: Any) -> int:
    with transaction(world.container.sessions) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.container, with_workers=False)) as made:
        yield made


@pytest.fixture
def token(world: World) -> Token:
    """`token(name, role, communities)`: the Authorization header of a new token."""
    desk = TokensDesk(world.container)

    def make(name: str, role: str, communities: list[str]) -> dict[str, str]:
        return {"Authorization": f"Bearer {desk.create_token(ADA, name, role, communities).secret}"}

    return make


def test_a_bettws_worker_token_plans_and_launches_but_sees_no_results_nor_feltham(
    world: World, client: TestClient, token: Token
) -> None:
    populate(world)
    worker = token("bettws-worker", "worker", ["bettws"])
    admin = token("central", "admin", [])

    dry = client.post("/api/consultations?dry_run=true", json=play_park(), headers=worker)
    assert dry.status_code == 200, dry.text
    plan = dry.json()
    assert plan["outcome"] == "dry_run" and plan["recipients"] == 5
    groups = {(g["language"], g["channel"]): g for g in plan["groups"]}
    assert groups[("cy", "sms")]["recipients"] == 1 and groups[("cy", "sms")]["segments_each"] > 1
    assert plan["sms_segments"] == sum(g["recipients"] * g["segments_each"] for g in plan["groups"])
    assert count(world, ConsultationRow) == 0  # a dry run stores nothing

    launched = client.post("/api/consultations", json=play_park(), headers=worker)
    assert launched.status_code == 201, launched.text
    assert launched.json()["outcome"] == "launched"
    assert any("play park" in text for text in world.chats[ENGLISH_TELEGRAM].flush())
    again = client.post("/api/consultations", json=play_park(), headers=worker)
    assert again.status_code == 409

    felt = client.post(
        "/api/consultations", json={"definition": feltham_park(), "dry_run": False}, headers=admin
    )
    assert felt.status_code == 201, felt.text
    listed = client.get("/api/consultations", headers=worker).json()
    assert [(c["id"], c["status"], c["recipients"]) for c in listed] == [("play-park", "open", 5)]
    assert len(client.get("/api/consultations", headers=admin).json()) == 2

    assert client.get("/api/consultations/play-park", headers=worker).json()["community"] == (
        "bettws"
    )
    assert client.get("/api/consultations/feltham-park", headers=worker).status_code == 404
    assert client.post("/api/consultations/feltham-park/close", headers=worker).status_code == 404
    assert client.get("/api/consultations/play-park/results", headers=worker).status_code == 403
    # A worker may not launch to another community, nor to every community at once.
    refused = client.post("/api/consultations", json=feltham_park(), headers=worker)
    assert refused.status_code == 403
    everyone = play_park(id="everyone")
    del everyone["audience"]
    assert client.post("/api/consultations", json=everyone, headers=worker).status_code == 403

    with transaction(world.container.sessions) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.subject == "consultation:play-park")
        ).one()
    assert (entry.actor, entry.action, entry.community_id) == (
        "api:bettws-worker",
        "consultation.launch",
        "bettws",
    )


def test_a_coordinator_token_reads_results_with_small_groups_hidden_and_closes(
    world: World, client: TestClient, token: Token
) -> None:
    populate(world)
    cerys = token("bettws-reports", "coordinator", ["bettws"])
    colin = token("feltham-reports", "coordinator", ["feltham", "margate"])
    assert client.post("/api/consultations", json=play_park(), headers=cerys).status_code == 201
    world.say(WELSH_SMS, "1", "2", "1,3", "4", "dau", "hepgor", "ie")

    found = client.get("/api/consultations/play-park/results", headers=cerys)
    assert found.status_code == 200, found.text
    results = found.json()
    assert (results["invited"], results["started"], results["finished"]) == (5, 1, 1)
    uses = next(q for q in results["questions"] if q["id"] == "uses")
    # One family answered yes: too few to show (a zero gives nobody away).
    assert {c["key"]: c["count"] for c in uses["counts"]} == {"yes": None, "no": 0}
    assert uses["counts"][0]["suppressed"] == "small"
    assert results["threshold"] == 5
    assert client.get("/api/consultations/play-park/results", headers=colin).status_code == 404

    closed = client.post("/api/consultations/play-park/close", headers=cerys)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    with transaction(world.container.sessions) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == "api:bettws-reports")
        ).all()
    assert sorted(actions) == ["consultation.close", "consultation.launch"]


def test_events_are_created_changed_cancelled_and_rsvps_are_codes(
    world: World, client: TestClient, token: Token
) -> None:
    populate(world)
    wendy = token("bettws-events", "worker", ["bettws"])
    colin = token("feltham-events", "coordinator", ["feltham"])
    event = definition("events/rhyme-time.yaml")

    created = client.post("/api/events", json=event, headers=wendy)
    assert created.status_code == 201, created.text
    assert created.json()["created"] is True and created.json()["messages"] > 0
    changed = client.post("/api/events", json={**event, "capacity": 20}, headers=wendy)
    assert changed.status_code == 200 and changed.json()["created"] is False
    assert [e["id"] for e in client.get("/api/events", headers=wendy).json()] == [RHYME_TIME]
    assert client.get("/api/events", headers=colin).json() == []
    assert client.get(f"/api/events/{RHYME_TIME}", headers=colin).status_code == 404
    assert client.post(f"/api/events/{RHYME_TIME}/cancel", headers=colin).status_code == 404
    assert client.post("/api/events", json=event, headers=colin).status_code == 403

    world.say(WELSH_SMS, "1")  # yes to the announcement
    rsvps = client.get(f"/api/events/{RHYME_TIME}/rsvps", headers=wendy)
    assert rsvps.status_code == 200, rsvps.text
    body = rsvps.json()
    assert body["counts"]["yes"] == 1
    assert all("+44" not in row["code"] for row in body["rsvps"])
    assert WELSH_SMS not in rsvps.text and ENGLISH_TELEGRAM not in rsvps.text

    cancelled = client.post(f"/api/events/{RHYME_TIME}/cancel", headers=wendy)
    assert cancelled.status_code == 200 and cancelled.json()["told"] == 1
    assert client.get(f"/api/events/{RHYME_TIME}", headers=wendy).json()["status"] == "cancelled"
    again = client.post(f"/api/events/{RHYME_TIME}/cancel", headers=wendy)
    assert (again.status_code == 409 and "already" not in again.text) or "cancelled" in again.text
    with transaction(world.container.sessions) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == "api:bettws-events")
        ).all()
    assert sorted(actions) == ["event.cancel", "event.create", "event.rsvps", "event.update"]


def test_tokens_missing_unknown_or_revoked_are_refused(
    world: World, client: TestClient, token: Token
) -> None:
    missing = client.get("/api/communities")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    fake = {"Authorization": "Bearer elc_not-a-real-token"}
    assert client.get("/api/communities", headers=fake).status_code == 401
    basic = {"Authorization": "Basic d2VuZHk6cGFzc3dvcmQ="}
    assert client.get("/api/communities", headers=basic).status_code == 401

    header = token("short-lived", "coordinator", ["feltham", "margate"])
    shown = client.get("/api/communities", headers=header).json()
    assert [c["id"] for c in shown] == ["feltham", "margate"]
    with transaction(world.container.sessions) as session:
        row = session.scalars(select(ApiToken)).one()
    TokensDesk(world.container).revoke_token(ADA, row.id)
    revoked = client.get("/api/communities", headers=header)
    assert revoked.status_code == 401 and "invalid_token" in revoked.headers["www-authenticate"]


def test_last_used_is_written_at_most_once_a_minute(
    world: World, client: TestClient, token: Token
) -> None:
    header = token("poller", "worker", ["bettws"])

    def last_used() -> Any:
        with transaction(world.container.sessions) as session:
            return session.scalars(select(ApiToken.last_used_at)).one()

    assert last_used() is None
    client.get("/api/communities", headers=header)
    assert last_used() == START
    world.container.clock = lambda: START + timedelta(seconds=30)
    client.get("/api/communities", headers=header)
    assert last_used() == START
    world.container.clock = lambda: START + timedelta(minutes=2)
    client.get("/api/communities", headers=header)
    assert last_used() == START + timedelta(minutes=2)


def test_bad_bodies_are_refused_and_nothing_is_stored(
    world: World, client: TestClient, token: Token
) -> None:
    populate(world)
    admin = token("central", "admin", [])
    json_headers = {**admin, "Content-Type": "application/json"}
    malformed = client.post("/api/consultations", content=b'{"id": "x",', headers=json_headers)
    assert malformed.status_code == 400
    huge = b'{"id": "' + b"x" * (1024 * 1024) + b'"}'
    assert client.post("/api/events", content=huge, headers=json_headers).status_code == 413
    problems = client.post("/api/consultations", json={"id": "half", "title": {}}, headers=admin)
    assert problems.status_code == 422
    assert any("questions" in line for line in problems.json()["detail"])
    unknown_key = client.post("/api/consultations", json=play_park(colour="red"), headers=admin)
    assert unknown_key.status_code == 422 and "colour" in unknown_key.text
    naive = client.post(
        "/api/consultations?launch_at=2026-04-01T09:00:00", json=play_park(), headers=admin
    )
    assert naive.status_code == 422
    for absurd in ("0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "2030-01-01T09:00:00Z"):
        far = client.post(
            f"/api/consultations?launch_at={absurd}", json=play_park(), headers=admin
        )  # a launch in year 1, or years from now: refused, not a server error
        assert far.status_code == 422 and "within a year of now" in far.text, far.text
    bad_event = client.post("/api/events", json={"id": "x"}, headers=admin)
    assert bad_event.status_code == 422
    assert (count(world, ConsultationRow), count(world, EventRow)) == (0, 0)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=JSON | st.fixed_dictionaries({"id": st.text(max_size=8)}, optional={"questions": JSON}))
def test_any_json_is_answered_4xx_and_stores_nothing(
    world: World, client: TestClient, token: Token, body: Any
) -> None:
    admin = token("fuzz", "admin", [])
    for path in ("/api/consultations?dry_run=false", "/api/events"):
        answer = client.post(path, json=body, headers=admin)
        assert answer.status_code in (400, 403, 409, 422), (path, body, answer.text)
    assert (count(world, ConsultationRow), count(world, EventRow)) == (0, 0)


def test_openapi_documents_the_api_only_with_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["paths"] and all(path.startswith("/api/") for path in schema["paths"])
    assert {"/api/consultations", "/api/events/{event_id}/rsvps"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token made by an administrator at /admin/tokens",
    }
    launch = schema["paths"]["/api/consultations"]["post"]
    assert launch["security"] == [{"bearer": []}]
    assert "questions" in json.dumps(launch["requestBody"])
    assert {"PlanOut", "ResultsOut", "RsvpsOut"} <= set(schema["components"]["schemas"])
