"""Who may do what, where; and the signed session cookie."""

from __future__ import annotations

from admin.auth import Session, SessionCodec, StaffIdentity, allowed


def _who(role: str, *communities: str) -> StaffIdentity:
    return StaffIdentity(id=1, username="x", role=role, communities=communities, stamp="s")


def test_a_worker_works_in_their_own_community_only() -> None:
    worker = _who("worker", "bettws")
    assert allowed(worker, "consultations", "bettws")
    assert allowed(worker, "inbox")
    assert not allowed(worker, "events", "feltham")
    assert not allowed(worker, "results", "bettws")
    assert not allowed(worker, "staff")


def test_a_coordinator_adds_results_exports_content_contacts_in_granted_communities() -> None:
    coordinator = _who("coordinator", "feltham", "margate")
    for permission in ("consultations", "events", "inbox", "results", "exports", "content"):
        assert allowed(coordinator, permission, "margate")
        assert not allowed(coordinator, permission, "bettws")
    assert allowed(coordinator, "contacts", "feltham")
    assert not allowed(coordinator, "staff")
    assert not allowed(coordinator, "settings")


def test_an_admin_manages_staff_and_settings_everywhere() -> None:
    admin = _who("admin")
    assert allowed(admin, "staff") and allowed(admin, "settings")
    assert allowed(admin, "results", "east-belfast")
    assert not allowed(_who("visitor"), "inbox")
    assert not allowed(admin, "no-such-permission")


def test_session_cookie_is_signed_and_expires() -> None:
    now = [1_000_000.0]
    codec = SessionCodec("key", now=lambda: now[0])
    cookie = codec.dumps(Session(user_id=7, stamp="abc", issued=int(now[0])))
    loaded = codec.loads(cookie)
    assert loaded is not None and loaded.user_id == 7 and loaded.stamp == "abc"
    assert SessionCodec("other key").loads(cookie) is None
    payload, signature = cookie.rsplit(".", 1)
    assert codec.loads(payload[:-1] + "A." + signature) is None
    assert codec.loads("garbage") is None and codec.loads(None) is None
    now[0] += 13 * 60 * 60
    assert codec.loads(cookie) is None  # a signed-in session lasts twelve hours
