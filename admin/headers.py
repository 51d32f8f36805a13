"""Security headers on every response the web process sends, in one place (an ASGI middleware).

Pages, redirects, JSON, static files, webhooks, errors (404s and 500s too) all get the same
strict Content-Security-Policy: the dashboard loads only its own stylesheet and scripts, so no
inline script or style is allowed anywhere. Only FastAPI's interactive API docs (`/docs`,
`/redoc`), which load Swagger UI or ReDoc from a CDN with an inline bootstrap script and hold no
session, get a looser policy of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    f"default-src 'none'; script-src 'self' {DOCS_CDN} 'unsafe-inline'; "
    f"style-src 'self' {DOCS_CDN} 'unsafe-inline'; img-src 'self' data: https:; "
    f"connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")
HSTS = "max-age=63072000"  # two years; no includeSubDomains: we do not own the whole domain
# Pages and data for signed-in staff must not sit in shared or browser caches.
NO_STORE_PREFIXES = ("/admin", "/api")
STATIC_PREFIX = "/admin/static/"


def _headers(path: str, https: bool) -> list[tuple[bytes, bytes]]:
    docs = path.startswith(DOCS_PATHS)
    no_store = path.startswith(NO_STORE_PREFIXES) and not path.startswith(STATIC_PREFIX)
    return _headers_for(docs, no_store, https)


@lru_cache(maxsize=8)
def _headers_for(docs: bool, no_store: bool, https: bool) -> list[tuple[bytes, bytes]]:
    """Built once per kind of path: every webhook call would otherwise encode them again."""
    headers = {
        "content-security-policy": DOCS_CSP if docs else CSP,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "same-origin",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if https:
        headers["strict-transport-security"] = HSTS
    if no_store:
        headers["cache-control"] = "no-store"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


def _merge(
    existing: Iterable[tuple[bytes, bytes]], extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """`existing` plus each of `extra` the response did not set itself."""
    merged = list(existing)
    present = {name.lower() for name, _ in merged}
    merged.extend(header for header in extra if header[0] not in present)
    return merged


class SecurityHeaders:
    """Adds the headers above to every HTTP response; `https` adds Strict-Transport-Security."""

    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _headers(str(scope.get("path", "")), self.https)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": _merge(message.get("headers", ()), extra)}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's outermost error handler would answer 500 without our headers; answer
            # first (it then only re-raises, so the error is still logged as before).
            if not started:
                await _plain_500(send_with_headers)
            raise


async def _plain_500(send: Any) -> None:
    body = b"Internal Server Error"
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
