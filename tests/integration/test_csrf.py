"""Every form the dashboard accepts needs this session's CSRF token: without it, 403 and no change.

Each POST route is asked by someone allowed to use it (so the only thing wrong is the token),
with a form full enough to change something, once with no token and once with a token from
another session. The whole database is compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.web import create_app
from storage.base import Base
from storage.db import transaction
from tests.integration.access_world import Samples
from tests.integration.staff_client import csrf_of
from tests.integration.test_dashboard_access import (
    PUBLIC,
    RULES,
    http_routes,
    samples,
)
from tests.integration.world import World

__all__ = ["samples"]  # the access matrix's fixture: one thing of every kind in Bettws

# Enough for any of the dashboard's forms to do something, were the token not checked.
FORM = {
    "username": "mallory",
    "password": "a long enough password",
    "old": "correct horse battery",
    "new": "another long password",
    "confirm": "another long password",
    "role": "admin",
    "community": "bettws",
    "communities": "bettws",
    "name": "mallory's token",
    "text": "Hello from the dashboard",
    "reason": "testing",
    "dataset": "responses",
    "format": "csv",
    "consultation": "play-park",
    "channel": "sms",
    "language": "en",
    "when": "now",
    "confirmed": "yes",
    "codes": "",
    "id": "forged",
    "title_en": "Forged",
}


def snapshot(world: World) -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    with transaction(world.container.sessions) as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
        }


def test_every_form_without_this_sessions_token_is_refused_and_changes_nothing(
    samples: Samples, staff_client: Callable[[str], TestClient]
) -> None:
    app = create_app(samples.world.container, with_workers=False)
    posts = sorted(r for r in http_routes(app.routes) if r[0] == "POST" and "/admin" in r[1])
    assert len(posts) >= 25
    clients = {"ada": staff_client("ada"), "wendy": staff_client("wendy")}
    foreign = csrf_of(staff_client("cerys"))  # a real token, but another session's
    anonymous = TestClient(app)
    csrf_of(anonymous, "/admin/login")  # an anonymous session with its own token
    before = snapshot(samples.world)
    wrong: list[str] = []
    for method, template in posts:
        rule = RULES.get((method, template))
        if (method, template) == ("POST", "/admin/login"):
            client = anonymous
        else:
            assert rule is not None or (method, template) in PUBLIC, template
            client = clients[rule.owner if rule and rule.owner else "ada"]
        path = template.format(**samples.values)
        for token in (None, foreign, ""):
            data = dict(FORM) if token is None else {**FORM, "csrf": token}
            response = client.post(path, data=data, follow_redirects=False)
            if response.status_code != 403:
                wrong.append(f"{path} with token {token!r}: {response.status_code}")
    assert wrong == []
    assert snapshot(samples.world) == before
    # And the tokens are what made the difference: with its own, the same person gets in.
    ada = clients["ada"]
    response = ada.post("/admin/tokens/new", data={**FORM, "csrf": csrf_of(ada, "/admin/tokens")})
    assert response.status_code == 200 and snapshot(samples.world) != before
