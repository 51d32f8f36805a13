"""The dashboard pages for consultation results and export."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity, allowed
from admin.kit import PageKit
from admin.ports.results import Scope

AGE_BANDS = {
    "pregnancy": N_("Expecting"),
    "0-11m": N_("0 to 11 months"),
    "12-23m": N_("12 to 23 months"),
    "24-35m": N_("24 to 35 months"),
    "36-47m": N_("36 to 47 months"),
    "48-59m": N_("48 to 59 months"),
    "60m+": N_("60 months or more"),
    "none": N_("No child's age"),
    "unknown": N_("Unknown"),
}
DIMENSIONS = {
    "community": N_("Community"),
    "language": N_("Language"),
    "channel": N_("Channel"),
    "age_band": N_("Child's age"),
}
LANGUAGES = {"en": N_("English"), "cy": N_("Welsh")}
CHANNELS = {"sms": N_("SMS"), "telegram": N_("Telegram")}


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    may_see_results = kit.require("results")
    may_export = kit.require("exports")

    def found(who: StaffIdentity, permission: str, consultation_id: str) -> Scope:
        """The consultation, or 404 when it is unknown or in a community this person may not
        see. One with no community in its audience reaches every community: admins only."""
        scope = kit.services.results.scope(consultation_id)
        if scope is None:
            raise HTTPException(status_code=404, detail="Not found")
        if scope.community_id is None:
            if who.role != "admin":
                raise HTTPException(status_code=404, detail="Not found")
        else:
            kit.check_community(who, permission, scope.community_id)
        return scope

    def group_name(dimension: str, group: str) -> str:
        if dimension == "community":
            community = kit.communities.get(group)
            return community.name if community else group
        names = {"language": LANGUAGES, "channel": CHANNELS, "age_band": AGE_BANDS}[dimension]
        return names.get(group, group)

    @router.get("/admin/consultations/{consultation_id}/results", response_class=HTMLResponse)
    def results_page(
        request: Request,
        consultation_id: str,
        who: Annotated[StaffIdentity, Depends(may_see_results)],
    ) -> Response:
        scope = found(who, "results", consultation_id)
        outcome = kit.services.results.results(consultation_id)
        tr = kit.tr(request)
        return kit.render(
            request,
            "results_page.html",
            N_("Consultation results"),
            who=who,
            r=outcome,
            can_export=allowed(who, "exports", scope.community_id),
            dimensions=[(key, tr._(label)) for key, label in DIMENSIONS.items()],
            group_name=lambda d, g: tr._(group_name(d, g)),
        )

    @router.get("/admin/consultations/{consultation_id}/export.csv")
    def export_csv(
        consultation_id: str, who: Annotated[StaffIdentity, Depends(may_export)]
    ) -> Response:
        found(who, "exports", consultation_id)
        # Identified exports (with a reason, `reason=`) are a later issue; this one has no names.
        made = kit.services.results.export(consultation_id, who.username)
        return Response(
            made.content,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{made.filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    return router
