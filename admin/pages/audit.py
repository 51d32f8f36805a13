"""The audit log page (admins): who looked at or changed personal data, and why."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
import json
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.ports.audit import AuditFilter

PER_PAGE = 50


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def router(kit: PageKit) -> APIRouter:
    api = APIRouter()
    may = kit.require("settings")

    @api.get("/admin/audit", response_class=HTMLResponse)
    def audit_log(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may)],
        action: str = "",
        actor: str = "",
        since: str = "",
        until: str = "",
        page: int = 1,
    ) -> Response:
        values = {"action": action.strip(), "actor": actor.strip(), "since": since, "until": until}
        start, end = _day(since), _day(until)
        if (since.strip() and start is None) or (until.strip() and end is None):
            error = N_("Write dates as YYYY-MM-DD, for example 2026-03-10.")
            return kit.render(
                request, "audit_log.html", N_("Audit log"), who=who, status=400, error=error,
                values=values, result=None, page=1, pages=1, query="", detail_of=_detail,
            )  # fmt: skip
        where = AuditFilter(values["action"] or None, values["actor"] or None, start, end)
        page = max(page, 1)
        result = kit.services.audit.page(where, page, PER_PAGE)
        pages = max(1, -(-result.total // PER_PAGE))
        query = urlencode({k: v for k, v in values.items() if v})
        return kit.render(
            request, "audit_log.html", N_("Audit log"), who=who, values=values,
            result=result, page=page, pages=pages, query=query, detail_of=_detail,
        )  # fmt: skip

    return api


def _detail(detail: dict[str, object] | None) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else ""
