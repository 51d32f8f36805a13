"""The dashboard pages for the overview: who you are, your communities, and how things stand."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity, allowed
from admin.kit import ROLE_NAMES, PageKit


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    signed_in = kit.require()
    in_community = kit.require("consultations", community_param="community_id")

    @router.get("/admin", response_class=HTMLResponse)
    def overview(request: Request, who: Annotated[StaffIdentity, Depends(signed_in)]) -> Response:
        tr = kit.tr(request)
        ids = kit.visible_communities(who)
        return kit.render(
            request,
            "overview.html",
            N_("Overview"),
            who=who,
            role_name=tr._(ROLE_NAMES.get(who.role, who.role)),
            community_names=[(c, kit.communities[c].name) for c in ids],
            can_manage_staff=allowed(who, "staff"),
            overviews=kit.services.overview.communities(ids),
            names={c: kit.communities[c].name for c in ids},
        )

    @router.get("/admin/communities/{community_id}", response_class=HTMLResponse)
    def community_page(
        request: Request,
        community_id: str,
        who: Annotated[StaffIdentity, Depends(in_community)],
    ) -> Response:
        community = kit.communities.get(community_id)
        if community is None:
            raise HTTPException(status_code=404, detail="No such community")
        (found,) = kit.services.overview.communities([community_id])
        return kit.render(request, "community.html", community.name, who=who, overview=found)

    return router
