"""Pages anyone may fetch: the health check and the privacy notice."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse

from conversations.i18n import translator
from conversations.privacy import notice_paragraphs


def public_router(
    database_ok: Callable[[], bool], languages: tuple[str, ...], notice_version: str
) -> APIRouter:
    router = APIRouter()

    @router.get("/healthz")
    def healthz() -> JSONResponse:
        """Report whether the database answers; 503 when it does not."""
        ok = database_ok()
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "database": ok},
            status_code=200 if ok else 503,
        )

    @router.get("/privacy", response_class=HTMLResponse)
    def privacy() -> str:
        """The privacy notice, in every language the bot speaks."""
        sections = []
        for lang in languages:
            tr = translator(lang)
            paragraphs = "".join(f"<p>{p}</p>" for p in notice_paragraphs(lang))
            title = tr._("Privacy notice")
            version = tr._("Version {version}", version=notice_version)
            sections.append(
                f'<section lang="{lang}"><h1>{title}</h1><p><small>{version}</small></p>'
                f"{paragraphs}</section>"
            )
        return (
            '<!doctype html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Privacy</title></head><body>" + "<hr>".join(sections) + "</body></html>"
        )

    return router
