"""Security headers on every kind of response the web process sends, and templates that keep CSP."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.container import build, prepare_database
from bot.web import create_app
from tests.conftest import make_settings
from tests.integration.world import World

TEMPLATES = Path(__file__).resolve().parents[2] / "admin" / "templates"
STRICT = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {d[0]: (d[1] if len(d) > 1 else "") for d in directives}


def _assert_protected(response: object, what: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    policy = _policy(headers.get("content-security-policy", ""))
    for directive, value in STRICT.items():
        assert policy.get(directive) == value, (what, directive, policy)
    assert "unsafe-inline" not in headers["content-security-policy"], what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("referrer-policy") == "same-origin", what


def test_every_kind_of_response_carries_the_headers(
    staff_client: Callable[[str], TestClient],
) -> None:
    wendy = staff_client("wendy")
    anonymous = TestClient(wendy.app)
    answers = {
        "a dashboard page": wendy.get("/admin"),
        "the login page": anonymous.get("/admin/login"),
        "a redirect to sign in": anonymous.get("/admin/events", follow_redirects=False),
        "a page the role may not see": wendy.get("/admin/staff"),
        "a missing page": wendy.get("/admin/consultations/no-such-thing"),
        "a CSRF refusal": wendy.post("/admin/logout", data={"csrf": "forged"}),
        "the stylesheet": anonymous.get("/admin/static/dashboard.css"),
        "the script": anonymous.get("/admin/static/dashboard.js"),
        "the health check": anonymous.get("/healthz"),
        "the privacy notice": anonymous.get("/privacy"),
        "the API without a token": anonymous.get("/api/consultations"),
        "the OpenAPI document": anonymous.get("/openapi.json"),
        "an unsigned Telegram webhook": anonymous.post("/webhooks/telegram", json={}),
        "an unsigned Twilio webhook": anonymous.post("/webhooks/twilio/sms", data={}),
        "an unknown path": anonymous.get("/wp-login.php"),
    }
    expected = {
        "a redirect to sign in": 303,
        "a page the role may not see": 403,
        "a missing page": 404,
        "a CSRF refusal": 403,
        "the API without a token": 401,
        "an unsigned Telegram webhook": 403,
        "an unsigned Twilio webhook": 403,
        "an unknown path": 404,
    }
    for what, response in answers.items():
        assert response.status_code == expected.get(what, 200), (what, response.status_code)
        _assert_protected(response, what)
    # Staff pages and API answers stay out of caches; the static files may be cached.
    assert answers["a dashboard page"].headers["cache-control"] == "no-store"
    assert answers["the API without a token"].headers["cache-control"] == "no-store"
    assert "no-store" not in answers["the stylesheet"].headers.get("cache-control", "")
    # Plain http (a pilot on a laptop): no HSTS, which would pin the browser to https.
    assert "strict-transport-security" not in answers["a dashboard page"].headers


def test_a_crash_is_answered_500_with_the_headers_too(world: World) -> None:
    app = create_app(world.container)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/boom", boom)
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    assert "a bug" not in response.text
    _assert_protected(response, "a crash")


def test_strict_transport_security_when_the_public_origin_is_https(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, public_base_url="https://elc.example.org")
    container = build(settings)
    prepare_database(container)
    try:
        client = TestClient(create_app(container), base_url="https://elc.example.org")
        for path in ("/admin/login", "/healthz", "/admin/static/dashboard.css"):
            hsts = client.get(path).headers.get("strict-transport-security", "")
            assert re.fullmatch(r"max-age=\d{8,}", hsts), (path, hsts)
    finally:
        container.close()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on… event attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_templates_have_nothing_inline_the_policy_would_block(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    for pattern, what in INLINE:
        found = pattern.search(source)
        assert found is None, f"{template.name} has {what}: {found.group(0) if found else ''}"


def test_only_the_interactive_api_docs_get_their_own_looser_policy(world: World) -> None:
    """Swagger UI loads from a CDN with an inline bootstrap; it holds no session."""
    client = TestClient(create_app(world.container))
    docs = client.get("/docs")
    assert docs.status_code == 200
    policy = _policy(docs.headers["content-security-policy"])
    assert "https://cdn.jsdelivr.net" in policy["script-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'"
    assert docs.headers["x-frame-options"] == "DENY"
    _assert_protected(client.get("/openapi.json"), "the schema next to it")
