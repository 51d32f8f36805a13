"""Staff accounts and access: sign-in, lockout, cookies, CSRF, roles and communities."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.cli import app as cli_app
from bot.container import Container, build, prepare_database
from bot.staff import StaffService
from bot.web import create_app
from storage import staff as staff_rows
from storage.db import transaction
from tests.conftest import FIXED_NOW, make_settings

PASSWORD = "correct horse battery"
REFUSED = "Wrong username or password"


def _staff(container: Container) -> StaffService:
    return StaffService(container.sessions, container.clock)


@pytest.fixture
def people(container: Container) -> StaffService:
    service = _staff(container)
    service.create("wendy", PASSWORD, "worker", ["bettws"])
    service.create("colin", PASSWORD, "coordinator", ["feltham", "margate"])
    service.create("ada", PASSWORD, "admin", [])
    return service


@pytest.fixture
def client(container: Container, people: StaffService) -> Iterator[TestClient]:
    with TestClient(create_app(container, with_workers=False)) as test_client:
        yield test_client


def _csrf(client: TestClient, path: str = "/admin/login") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found
    return found.group(1)


def _login(client: TestClient, username: str, password: str = PASSWORD) -> int:
    token = _csrf(client)
    response = client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf": token},
        follow_redirects=False,
    )
    return response.status_code


def test_login_shows_who_you_are_and_logout_ends_it(client: TestClient) -> None:
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/login"
    assert _login(client, "colin") == 303
    page = client.get("/admin")
    assert "Signed in as colin." in page.text and "Coordinator" in page.text
    assert "Feltham" in page.text and "Bettws" not in page.text
    token = _csrf(client, "/admin")
    out = client.post("/admin/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient) -> None:
    token = _csrf(client)
    wrong = client.post(
        "/admin/login", data={"username": "wendy", "password": "nope", "csrf": token}
    )
    unknown = client.post(
        "/admin/login", data={"username": "nobody", "password": "nope", "csrf": token}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert REFUSED in wrong.text and REFUSED in unknown.text


def test_lockout_after_five_failures_then_unlocks(container: Container, client: TestClient) -> None:
    for _ in range(5):
        assert _login(client, "wendy", "wrong password") == 401
    assert _login(client, "wendy") == 401  # locked, even with the right password
    with transaction(container.sessions) as session:
        user = staff_rows.by_username(session, "wendy")
        assert user is not None and user.locked_until == FIXED_NOW + timedelta(minutes=15)
        user.locked_until = FIXED_NOW - timedelta(seconds=1)  # the quarter of an hour is over
    assert _login(client, "wendy") == 303


def test_forms_without_the_right_csrf_token_are_refused(client: TestClient) -> None:
    data = {"username": "wendy", "password": PASSWORD}
    assert client.post("/admin/login", data=data).status_code == 403
    _csrf(client)
    assert client.post("/admin/login", data={**data, "csrf": "forged"}).status_code == 403
    assert _login(client, "wendy") == 303
    assert client.post("/admin/logout", data={"csrf": "forged"}).status_code == 403
    changed = client.post(
        "/admin/password", data={"old": PASSWORD, "new": "x" * 12, "confirm": "x" * 12}
    )
    assert changed.status_code == 403


def test_session_cookie_flags(client: TestClient) -> None:
    cookie = client.get("/admin/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/admin" in cookie
    assert "secure" not in cookie


def test_cookie_is_secure_with_an_https_base_url(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, public_base_url="https://elc.example.org")
    built = build(settings, clock=lambda: FIXED_NOW)
    prepare_database(built)
    try:
        with TestClient(create_app(built), base_url="https://testserver") as https:
            cookie = https.get("/admin/login").headers["set-cookie"].lower()
            assert "secure" in cookie and "httponly" in cookie
    finally:
        built.close()


def test_a_tampered_cookie_is_not_a_session(client: TestClient) -> None:
    assert _login(client, "ada") == 303
    value = client.cookies["elc_admin"]
    client.cookies.set("elc_admin", value[:-2] + "xx", path="/admin")
    assert client.get("/admin", follow_redirects=False).status_code == 303


def test_password_change_needs_the_old_one_and_ends_other_sessions(
    container: Container, client: TestClient, people: StaffService
) -> None:
    assert _login(client, "wendy") == 303
    other = TestClient(client.app)
    assert _login(other, "wendy") == 303
    token = _csrf(client, "/admin/password")
    new = "a much newer password"
    bad = client.post(
        "/admin/password", data={"old": "guess", "new": new, "confirm": new, "csrf": token}
    )
    assert bad.status_code == 400 and "The current password is not right." in bad.text
    short = client.post(
        "/admin/password", data={"old": PASSWORD, "new": "short", "confirm": "short", "csrf": token}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    ok = client.post(
        "/admin/password", data={"old": PASSWORD, "new": new, "confirm": new, "csrf": token}
    )
    assert ok.status_code == 200 and "Your password has been changed." in ok.text
    assert client.get("/admin").status_code == 200  # this session carries on
    assert other.get("/admin", follow_redirects=False).status_code == 303  # the other ended
    assert people.authenticate("wendy", PASSWORD).identity is None
    assert people.authenticate("wendy", new).identity is not None


def test_only_an_admin_lists_staff(client: TestClient) -> None:
    assert _login(client, "wendy") == 303
    assert client.get("/admin/staff").status_code == 403
    assert _login(client, "ada") == 303
    listed = client.get("/admin/staff")
    assert listed.status_code == 200
    assert "colin" in listed.text and "Community worker" in listed.text


def test_communities_are_checked_on_the_server(client: TestClient) -> None:
    assert _login(client, "colin") == 303
    assert client.get("/admin/communities/feltham").status_code == 200
    assert client.get("/admin/communities/bettws").status_code == 404
    assert _login(client, "wendy") == 303
    assert client.get("/admin/communities/bettws").status_code == 200
    assert client.get("/admin/communities/margate").status_code == 404
    assert _login(client, "ada") == 303
    assert client.get("/admin/communities/margate").status_code == 200
    assert client.get("/admin/communities/atlantis").status_code == 404


def test_pages_in_welsh(client: TestClient) -> None:
    assert "Mewngofnodi" in client.get("/admin/login?lang=cy").text
    assert _login(client, "wendy") == 303
    page = client.get("/admin")
    assert "Wedi mewngofnodi fel wendy." in page.text and "Gweithiwr cymunedol" in page.text


def _cli(database_url: str, tmp_path: Path, *args: str, stdin: str | None = None) -> str:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-real",
        "SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    result = CliRunner().invoke(cli_app, ["user", "create", *args], env=env, input=stdin)
    return result.output + (str(result.exception) if result.exit_code else "")


def test_cli_user_create(database_url: str, tmp_path: Path) -> None:
    ok = _cli(
        database_url, tmp_path, "cath", "--role", "coordinator", "--community", "bettws",
        "--community", "sheffield", "--password-stdin", stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    assert "created coordinator cath in bettws, sheffield" in ok
    again = _cli(
        database_url, tmp_path, "cath", "--role", "admin", "--password-stdin", stdin=PASSWORD
    )
    assert "already exists" in again
    nowhere = _cli(
        database_url, tmp_path, "w", "--role", "worker", "--password-stdin", stdin=PASSWORD
    )
    assert "a worker needs exactly one --community" in nowhere
    unknown = _cli(
        database_url, tmp_path, "w", "--role", "worker", "--community", "atlantis",
        "--password-stdin", stdin=PASSWORD,
    )  # fmt: skip
    assert "unknown community 'atlantis'" in unknown
    role = _cli(database_url, tmp_path, "w", "--role", "boss", "--password-stdin", stdin=PASSWORD)
    assert "role must be one of" in role
    short = _cli(database_url, tmp_path, "w", "--role", "admin", "--password-stdin", stdin="abc")
    assert "at least 10 characters" in short

    built = build(make_settings(database_url, tmp_path), clock=lambda: FIXED_NOW)
    try:
        who = _staff(built).authenticate("cath", PASSWORD).identity
        assert who is not None and who.communities == ("bettws", "sheffield")
        with transaction(built.sessions) as session:
            row = staff_rows.by_username(session, "cath")
            assert row is not None and row.password_hash.startswith("$argon2id$")
    finally:
        built.close()
