"""Lockout is per account and says nothing: locked, wrong and unknown all read the same."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.container import Container
from storage import staff as staff_rows
from storage.db import transaction
from tests.integration.test_staff_auth import PASSWORD, _csrf, _login, client, people

__all__ = ["client", "people"]


def _refusal(client: TestClient, username: str, password: str) -> tuple[int, str]:
    """The status and page of a refused sign-in, with the username typed back taken out."""
    token = _csrf(client)
    response = client.post(
        "/admin/login", data={"username": username, "password": password, "csrf": token}
    )
    return response.status_code, response.text.replace(f'value="{username}"', 'value="…"')


def test_a_locked_account_an_unknown_one_and_a_wrong_password_look_the_same(
    client: TestClient,
) -> None:
    for _ in range(5):
        assert _login(client, "wendy", "wrong password") == 401
    locked = _refusal(client, "wendy", PASSWORD)  # the right password, but locked
    wrong = _refusal(client, "colin", "wrong password")
    unknown = _refusal(client, "nobody", "wrong password")
    assert locked[0] == wrong[0] == unknown[0] == 401
    assert locked[1] == wrong[1] == unknown[1]
    # Trying an unknown name many times changes nothing either: it never "locks".
    for _ in range(6):
        assert _refusal(client, "nobody", "wrong password") == unknown


def test_locking_one_account_leaves_the_others_alone(client: TestClient) -> None:
    for _ in range(5):
        assert _login(client, "wendy", "wrong password") == 401
    assert _login(client, "wendy") == 401
    assert _login(client, "colin") == 303  # same browser, another account: not locked


def test_only_failures_in_a_row_count(client: TestClient, container: Container) -> None:
    for _ in range(4):
        assert _login(client, "wendy", "wrong password") == 401
    assert _login(client, "wendy") == 303  # the count starts again
    for _ in range(4):
        assert _login(client, "wendy", "wrong password") == 401
    assert _login(client, "wendy") == 303
    with transaction(container.sessions) as session:
        user = staff_rows.by_username(session, "wendy")
        assert user is not None and user.locked_until is None and user.failed_logins == 0
