"""Signed-in dashboard clients for integration tests: one person per role, real cookies."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from bot.staff import StaffService
from bot.web import create_app
from tests.integration.world import World

PASSWORD = "correct horse battery"
# username -> (role, communities): a worker and a coordinator in Bettws, a coordinator
# elsewhere (who must never see Bettws), and an admin.
PEOPLE: dict[str, tuple[str, list[str]]] = {
    "wendy": ("worker", ["bettws"]),
    "cerys": ("coordinator", ["bettws"]),
    "colin": ("coordinator", ["feltham", "margate"]),
    "ada": ("admin", []),
}


def csrf_of(client: TestClient, path: str = "/admin") -> str:
    """The CSRF token in the page at `path` (every signed-in page carries one)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, username: str) -> TestClient:
    token = csrf_of(client, "/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": username, "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def staff_client(world: World) -> Iterator[Callable[[str], TestClient]]:
    """`staff_client("wendy")`: a TestClient signed in as that person (see PEOPLE)."""
    service = StaffService(world.container.sessions, world.container.clock)
    for username, (role, communities) in PEOPLE.items():
        service.create(username, PASSWORD, role, communities)
    app = create_app(world.container, with_workers=False)
    opened: list[TestClient] = []

    def make(username: str) -> TestClient:
        client = TestClient(app)
        client.__enter__()
        opened.append(client)
        return sign_in(client, username)

    yield make
    for client in opened:
        client.__exit__(None, None, None)
