"""Staff accounts and API tokens in the dashboard: admins only, every change audited."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.web import create_app
from storage import staff as staff_rows
from storage.audit_models import AuditEntry
from storage.db import transaction
from storage.staff_models import ApiToken
from tests.integration.staff_client import PASSWORD, csrf_of
from tests.integration.world import World

Clients = Callable[[str], TestClient]


def user_id(world: World, username: str) -> int:
    with transaction(world.container.sessions) as session:
        user = staff_rows.by_username(session, username)
        assert user is not None
        return user.id


def actions(world: World, actor: str) -> list[tuple[str, str | None]]:
    with transaction(world.container.sessions) as session:
        rows = session.execute(
            select(AuditEntry.action, AuditEntry.subject)
            .where(AuditEntry.actor == actor)
            .order_by(AuditEntry.id)
        ).all()
    return [(action, subject) for action, subject in rows]


def sign_in(world: World, username: str, password: str) -> int:
    """A fresh browser signing in; the status (303 signed in, 401 refused)."""
    client = TestClient(create_app(world.container, with_workers=False))
    response = client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf": csrf_of(client, "/admin/login")},
        follow_redirects=False,
    )
    return response.status_code


def shown_secret(page: str, field: str) -> str:
    found = re.search(rf'id="{field}" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_only_admins_manage_staff_and_tokens(staff_client: Clients, world: World) -> None:
    for name in ("wendy", "cerys", "colin"):
        client = staff_client(name)
        token = csrf_of(client)
        for path in ("/admin/staff", "/admin/staff/new", "/admin/tokens"):
            assert client.get(path).status_code == 403, (name, path)
        made = client.post(
            "/admin/tokens/new",
            data={"name": "x", "role": "admin", "csrf": token},
        )
        assert made.status_code == 403
        promoted = client.post(
            f"/admin/staff/{user_id(world, name)}", data={"role": "admin", "csrf": token}
        )
        assert promoted.status_code == 403
    with transaction(world.container.sessions) as session:
        assert session.scalars(select(ApiToken)).all() == []
        assert staff_rows.by_username(session, "wendy").role == "worker"  # type: ignore[union-attr]


def test_an_admin_creates_an_account_whose_password_is_shown_once(
    staff_client: Clients, world: World
) -> None:
    ada = staff_client("ada")
    form = {"username": "wyn", "role": "worker", "communities": ["bettws"]}
    missing_csrf = ada.post("/admin/staff/new", data=form)
    assert missing_csrf.status_code == 403
    made = ada.post("/admin/staff/new", data={**form, "csrf": csrf_of(ada, "/admin/staff/new")})
    assert made.status_code == 200, made.text
    assert "shown only now" in made.text
    password = shown_secret(made.text, "password")
    assert sign_in(world, "wyn", password) == 303
    listed = ada.get("/admin/staff").text
    assert "wyn" in listed and password not in listed
    assert ("staff.create", "staff:wyn") in actions(world, "ada")


def test_account_refusals_are_shown_and_nothing_is_stored(
    staff_client: Clients, world: World
) -> None:
    ada = staff_client("ada")
    token = csrf_of(ada, "/admin/staff/new")
    cases = [
        ({"username": "two", "role": "worker", "communities": ["bettws", "feltham"]},
         "A community worker needs exactly one community."),
        ({"username": "none", "role": "coordinator"},
         "A coordinator needs at least one community."),
        ({"username": "wendy", "role": "worker", "communities": ["bettws"]},
         "That username is already taken."),
        ({"username": "has space", "role": "worker", "communities": ["bettws"]},
         "A username is 1 to 64 characters with no spaces."),
        ({"username": "boss", "role": "owner"}, "Choose one of the roles."),
        ({"username": "far", "role": "worker", "communities": ["atlantis"]},
         "Choose communities from the list."),
    ]  # fmt: skip
    for form, message in cases:
        page = ada.post("/admin/staff/new", data={**form, "csrf": token})
        assert page.status_code == 400, form
        assert message in page.text and 'role="alert"' in page.text
    with transaction(world.container.sessions) as session:
        usernames = {user.username for user in staff_rows.all_users(session)}
    assert usernames == {"ada", "cerys", "colin", "wendy"}
    assert actions(world, "ada") == []


def test_roles_change_but_an_admin_keeps_their_own(staff_client: Clients, world: World) -> None:
    ada, wendy = staff_client("ada"), staff_client("wendy")
    assert wendy.get("/admin/communities/feltham").status_code == 404
    wendy_id = user_id(world, "wendy")
    token = csrf_of(ada, f"/admin/staff/{wendy_id}")
    changed = ada.post(
        f"/admin/staff/{wendy_id}",
        data={"role": "coordinator", "communities": ["bettws", "feltham"], "csrf": token},
    )
    assert changed.status_code == 200 and "The changes are saved." in changed.text
    assert wendy.get("/admin/communities/feltham").status_code == 200  # at her next page
    with transaction(world.container.sessions) as session:
        row = staff_rows.by_username(session, "wendy")
        assert row is not None and (row.role, row.communities) == (
            "coordinator",
            ["bettws", "feltham"],
        )

    demoted = ada.post(
        f"/admin/staff/{user_id(world, 'ada')}",
        data={"role": "worker", "communities": ["bettws"], "csrf": token},
    )
    assert demoted.status_code == 400
    assert "You cannot remove your own administrator role." in demoted.text
    assert ada.get("/admin/staff").status_code == 200
    assert ada.get("/admin/staff/99999").status_code == 404
    assert actions(world, "ada") == [("staff.access", "staff:wendy")]


def test_a_reset_ends_sessions_and_an_unlock_lets_them_back(
    staff_client: Clients, world: World
) -> None:
    ada, wendy = staff_client("ada"), staff_client("wendy")
    wendy_id = user_id(world, "wendy")
    token = csrf_of(ada, f"/admin/staff/{wendy_id}")
    reset = ada.post(f"/admin/staff/{wendy_id}/password", data={"csrf": token})
    assert reset.status_code == 200
    password = shown_secret(reset.text, "password")
    assert wendy.get("/admin", follow_redirects=False).status_code == 303  # signed out
    assert sign_in(world, "wendy", PASSWORD) == 401
    assert sign_in(world, "wendy", password) == 303
    own = ada.post(f"/admin/staff/{user_id(world, 'ada')}/password", data={"csrf": token})
    assert own.status_code == 400

    for _ in range(5):
        assert sign_in(world, "colin", "not the password") == 401
    assert sign_in(world, "colin", PASSWORD) == 401  # locked
    colin_id = user_id(world, "colin")
    assert "Locked" in ada.get("/admin/staff").text
    assert "Unlock" in ada.get(f"/admin/staff/{colin_id}").text
    unlocked = ada.post(f"/admin/staff/{colin_id}/unlock", data={"csrf": token})
    assert unlocked.status_code == 200 and "The account is unlocked." in unlocked.text
    assert sign_in(world, "colin", PASSWORD) == 303
    assert actions(world, "ada") == [
        ("staff.reset_password", "staff:wendy"),
        ("staff.unlock", "staff:colin"),
    ]


def test_a_token_is_shown_once_works_and_stops_when_revoked(
    staff_client: Clients, world: World
) -> None:
    ada = staff_client("ada")
    token = csrf_of(ada, "/admin/tokens")
    refused = ada.post("/admin/tokens/new", data={"name": "", "role": "worker", "csrf": token})
    assert refused.status_code == 400 and "A token name is 1 to 64 characters." in refused.text
    made = ada.post(
        "/admin/tokens/new",
        data={"name": "bettws-reports", "role": "coordinator", "communities": ["bettws"],
              "csrf": token},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    assert "shown only once" in made.text
    secret = shown_secret(made.text, "token")
    assert secret.startswith("elc_") and len(secret) > 40

    listed = ada.get("/admin/tokens").text
    assert "bettws-reports" in listed and secret[:12] in listed and secret not in listed
    with transaction(world.container.sessions) as session:
        row = session.scalars(select(ApiToken)).one()
        stored = (row.token_hash, row.prefix, row.name, row.created_by)
    assert stored == (
        hashlib.sha256(secret.encode()).hexdigest(),
        secret[:12],
        "bettws-reports",
        "ada",
    )

    bearer = {"Authorization": f"Bearer {secret}"}
    assert [c["id"] for c in ada.get("/api/communities", headers=bearer).json()] == ["bettws"]
    assert "Never" not in ada.get("/admin/tokens").text  # last used is shown

    revoked = ada.post(f"/admin/tokens/{row.id}/revoke", data={"csrf": token})
    assert revoked.status_code == 200 and "Revoked" in revoked.text
    assert ada.get("/api/communities", headers=bearer).status_code == 401
    assert ada.post("/admin/tokens/99999/revoke", data={"csrf": token}).status_code == 404
    assert actions(world, "ada") == [
        ("token.create", f"token:{row.id}"),
        ("token.revoke", f"token:{row.id}"),
    ]
