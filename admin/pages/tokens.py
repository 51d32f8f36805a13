"""The admin pages for API tokens and staff accounts."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffAccounts, StaffIdentity
from admin.kit import ROLE_NAMES, PageKit


def router(kit: PageKit, accounts: StaffAccounts) -> APIRouter:
    router = APIRouter()
    manage_staff = kit.require("staff")

    @router.get("/admin/staff", response_class=HTMLResponse)
    def staff_list(
        request: Request, who: Annotated[StaffIdentity, Depends(manage_staff)]
    ) -> Response:
        tr = kit.tr(request)
        people = [(p, tr._(ROLE_NAMES.get(p.role, p.role))) for p in accounts.list_staff()]
        return kit.render(request, "staff.html", N_("Staff accounts"), who=who, people=people)

    return router
