"""Who may do what: every dashboard route, for every role, refused or allowed on the server.

RULES lists each /admin route with the permission it needs and whether the thing it names
belongs to a community. A route added without a rule fails `test_every_route_has_a_rule`, so
nothing reaches production unguarded. The matrix then asks each route as each person:
- nobody signed in: sent to the login page;
- a role without the permission: 403;
- a role with it, but for a thing in another community: 404 (never confirm it exists);
- a role with it, in their community: not refused.
POSTs carry a valid CSRF token, so what refuses them is the permission check, not the token.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from admin.auth import PERMISSIONS
from bot.web import create_app
from tests.integration.access_world import Samples, make_samples
from tests.integration.staff_client import PEOPLE, csrf_of
from tests.integration.world import World


@dataclass(frozen=True)
class Rule:
    permission: str | None  # None: any signed-in person
    scoped: bool = False  # the path names a thing that belongs to a community
    owner: str | None = None  # the path names a thing only this person may see


# (method, path) -> rule. Public routes (login) are not listed: see PUBLIC.
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/admin"): Rule(None),
    ("GET", "/admin/password"): Rule(None),
    ("POST", "/admin/password"): Rule(None),
    ("GET", "/admin/communities/{community_id}"): Rule("consultations", scoped=True),
    ("GET", "/admin/staff"): Rule("staff"),
    # consultations
    ("GET", "/admin/consultations"): Rule("consultations"),
    ("GET", "/admin/consultations/new"): Rule("consultations"),
    ("POST", "/admin/consultations/new"): Rule("consultations"),
    ("GET", "/admin/consultations/{consultation_id}"): Rule("consultations", scoped=True),
    ("GET", "/admin/consultations/{consultation_id}/edit"): Rule("consultations", scoped=True),
    ("POST", "/admin/consultations/{consultation_id}/edit"): Rule("consultations", scoped=True),
    ("GET", "/admin/consultations/{consultation_id}/preview"): Rule("consultations", scoped=True),
    ("GET", "/admin/consultations/{consultation_id}/launch"): Rule("consultations", scoped=True),
    ("POST", "/admin/consultations/{consultation_id}/launch"): Rule("consultations", scoped=True),
    ("POST", "/admin/consultations/{consultation_id}/close"): Rule("consultations", scoped=True),
    # content and contacts
    ("GET", "/admin/content"): Rule("content"),
    ("GET", "/admin/content/export"): Rule("content"),
    ("GET", "/admin/content/preview"): Rule("content"),
    ("POST", "/admin/content/upload"): Rule("content"),
    ("GET", "/admin/contacts"): Rule("contacts"),
    ("GET", "/admin/contacts/{code}"): Rule("contacts", scoped=True),
    ("GET", "/admin/contacts/{code}/copy.json"): Rule("contacts", scoped=True),
    ("GET", "/admin/contacts/{code}/erase"): Rule("contacts", scoped=True),
    ("POST", "/admin/contacts/{code}/erase"): Rule("contacts", scoped=True),
    # results, exports and delivery
    ("GET", "/admin/consultations/{consultation_id}/results"): Rule("results", scoped=True),
    ("GET", "/admin/consultations/{consultation_id}/export.csv"): Rule("exports", scoped=True),
    ("GET", "/admin/exports"): Rule("exports"),
    ("POST", "/admin/exports"): Rule("exports"),
    ("GET", "/admin/delivery"): Rule("delivery"),
    ("POST", "/admin/delivery/{outbox_id}/retry"): Rule("delivery", scoped=True),
    # events
    ("GET", "/admin/events"): Rule("events"),
    ("GET", "/admin/events/new"): Rule("events"),
    ("POST", "/admin/events/new"): Rule("events"),
    ("GET", "/admin/events/{event_id}"): Rule("events", scoped=True),
    ("GET", "/admin/events/{event_id}/edit"): Rule("events", scoped=True),
    ("POST", "/admin/events/{event_id}/edit"): Rule("events", scoped=True),
    ("POST", "/admin/events/{event_id}/attendance"): Rule("events", scoped=True),
    ("GET", "/admin/events/{event_id}/cancel"): Rule("events", scoped=True),
    ("POST", "/admin/events/{event_id}/cancel"): Rule("events", scoped=True),
    # the inbox
    ("GET", "/admin/inbox"): Rule("inbox"),
    ("GET", "/admin/inbox/{item_id}"): Rule("inbox", scoped=True),
    ("POST", "/admin/inbox/{item_id}/reply"): Rule("inbox", scoped=True),
    ("POST", "/admin/inbox/{item_id}/handled"): Rule("inbox", scoped=True),
    # the simulator: a conversation is its starter's alone
    ("GET", "/admin/simulator"): Rule("simulator"),
    ("POST", "/admin/simulator/start"): Rule("simulator"),
    ("GET", "/admin/simulator/{session_id}"): Rule("simulator", owner="wendy"),
    ("POST", "/admin/simulator/{session_id}/send"): Rule("simulator", owner="wendy"),
    ("POST", "/admin/simulator/{session_id}/end"): Rule("simulator", owner="wendy"),
    # staff accounts and API tokens (admins)
    ("GET", "/admin/staff/new"): Rule("staff"),
    ("POST", "/admin/staff/new"): Rule("staff"),
    ("GET", "/admin/staff/{user_id}"): Rule("staff"),
    ("POST", "/admin/staff/{user_id}"): Rule("staff"),
    ("POST", "/admin/staff/{user_id}/password"): Rule("staff"),
    ("POST", "/admin/staff/{user_id}/unlock"): Rule("staff"),
    ("GET", "/admin/tokens"): Rule("settings"),
    ("GET", "/admin/audit"): Rule("settings"),
    ("POST", "/admin/tokens/new"): Rule("settings"),
    ("POST", "/admin/tokens/{token_id}/revoke"): Rule("settings"),
}
# Asked last, so the things they end are still there for the other routes.
ENDINGS = ("/close", "/cancel", "/end", "/revoke", "/handled")
PUBLIC = {("GET", "/admin/login"), ("POST", "/admin/login"), ("POST", "/admin/logout")}


@pytest.fixture
def samples(world: World, staff_client: Callable[[str], TestClient]) -> Samples:
    """Made after the staff (the fixture creates them), so wendy can own a conversation."""
    return make_samples(world)


def http_routes(routes: Sequence[BaseRoute], prefix: str = "") -> set[tuple[str, str]]:
    """(method, path) of every API route, looking inside included routers."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(m, prefix + route.path) for m in route.methods or ()}
        inner = getattr(route, "original_router", None)
        if inner is not None:  # FastAPI keeps an included router whole
            context = getattr(route, "include_context", None)
            found |= http_routes(inner.routes, prefix + getattr(context, "prefix", ""))
    return found


def test_every_route_has_a_rule(samples: Samples) -> None:
    app = create_app(samples.world.container, with_workers=False)
    routes = {r for r in http_routes(app.routes) if r[1].startswith("/admin")}
    assert sorted(routes - set(RULES) - PUBLIC) == [], "add these routes to RULES"
    assert sorted(set(RULES) - routes) == [], "RULES names routes that no longer exist"


def _expected(username: str | None, rule: Rule) -> str:
    if username is None:
        return "login"
    role, communities = PEOPLE[username]
    if rule.permission is not None and rule.permission not in PERMISSIONS[role]:
        return "forbidden"
    if rule.scoped and role != "admin" and "bettws" not in communities:
        return "hidden"
    if rule.owner is not None and username != rule.owner:
        return "hidden"
    return "allowed"


def _order(item: tuple[tuple[str, str], Rule]) -> tuple[bool, bool, str]:
    (method, path), _rule = item
    return (method == "POST", path.endswith(ENDINGS), path)


@pytest.mark.parametrize("username", [None, *PEOPLE])
def test_each_role_is_refused_what_it_may_not_do(
    samples: Samples, staff_client: Callable[[str], TestClient], username: str | None
) -> None:
    """Every sample names a thing in Bettws; colin (Feltham, Margate) must never reach one."""
    client = staff_client(username) if username else None
    anonymous = None
    if client is None:
        anonymous = TestClient(create_app(samples.world.container, with_workers=False))
    asker = client or anonymous
    assert asker is not None
    token = csrf_of(client, "/admin") if client else "no-session"
    wrong: list[str] = []
    for (method, template), rule in sorted(RULES.items(), key=_order):
        path = template.format(**samples.values)
        data = {"csrf": token} if method == "POST" else None
        response = asker.request(method, path, data=data, follow_redirects=False)
        expected = _expected(username, rule)
        got = response.status_code
        ok = {
            "login": got == 303 and response.headers.get("location") == "/admin/login",
            "forbidden": got == 403,
            "hidden": got == 404,
            "allowed": got not in (401, 403, 404) and got < 500,
        }[expected]
        if not ok:
            wrong.append(f"{method} {path}: {got}, expected {expected}")
    assert wrong == []


def test_every_api_route_needs_a_token(samples: Samples) -> None:
    """No /api route answers anything but 401 without a bearer token, or with a wrong one."""
    app = create_app(samples.world.container, with_workers=False)
    routes = sorted(r for r in http_routes(app.routes) if r[1].startswith("/api"))
    assert len(routes) >= 10
    wrong: list[str] = []
    with TestClient(app) as client:
        for method, template in routes:
            path = template.format(**samples.values)
            for headers in ({}, {"Authorization": "Bearer elc_not-a-real-token"}):
                response = client.request(method, path, headers=headers, json={})
                if response.status_code != 401 or "WWW-Authenticate" not in response.headers:
                    wrong.append(f"{method} {path} {headers}: {response.status_code}")
    assert wrong == []
