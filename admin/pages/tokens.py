"""The admin pages for API tokens (and, from admin/pages/staff.py, staff accounts)."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffAccounts, StaffIdentity
from admin.kit import ROLE_NAMES, PageKit
from admin.pages import staff
from admin.ports.tokens import Refused


def router(kit: PageKit, accounts: StaffAccounts) -> APIRouter:
    """`accounts` is the sign-in service; the pages write through `kit.services.tokens`."""
    router = APIRouter()
    router.include_router(staff.router(kit))
    settings = kit.require("settings")
    desk = kit.services.tokens

    def list_page(
        request: Request,
        who: StaffIdentity,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        **values: object,
    ) -> Response:
        tr = kit.tr(request)
        values.setdefault("token_name", "")
        values.setdefault("role", "worker")
        values.setdefault("chosen", [])
        return kit.render(
            request,
            "tokens_list.html",
            N_("API tokens"),
            who=who,
            status=status,
            error=error,
            notice=notice,
            tokens=desk.list_tokens(),
            role_names={role: tr._(name) for role, name in ROLE_NAMES.items()},
            roles=staff.role_choices(kit, request),
            communities=kit.communities,
            **values,
        )

    @router.get("/admin/tokens", response_class=HTMLResponse)
    def tokens_list(request: Request, who: Annotated[StaffIdentity, Depends(settings)]) -> Response:
        return list_page(request, who)

    @router.post("/admin/tokens/new", response_class=HTMLResponse)
    def create(
        request: Request,
        who: Annotated[StaffIdentity, Depends(settings)],
        name: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "",
        communities: staff.Communities = None,
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        chosen = communities or []
        try:
            issued = desk.create_token(who, name, role, chosen)
        except Refused as refused:
            return list_page(
                request, who, 400, refused.msgid, token_name=name, role=role, chosen=chosen
            )
        return kit.render(
            request,
            "tokens_created.html",
            N_("API token created"),
            who=who,
            token=issued.token,
            secret=issued.secret,
        )

    @router.post("/admin/tokens/{token_id}/revoke", response_class=HTMLResponse)
    def revoke(
        request: Request,
        token_id: int,
        who: Annotated[StaffIdentity, Depends(settings)],
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        if desk.revoke_token(who, token_id) is None:
            raise HTTPException(status_code=404, detail="Not found")
        return list_page(request, who, notice=N_("The token is revoked: it no longer works."))

    return router
