"""The dashboard's exports page: choose a dataset, a format and filters; download the file."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.ports.exports import ExportChoice
from storage.exports.spec import (
    DATASETS,
    FORMATS,
    NEEDS_CONSULTATION,
    ExportError,
    ExportRequest,
    Mode,
    parse_filters,
)

TITLE = N_("Exports")
DATASET_NAMES = {
    "responses": N_("Consultation responses (one row per parent)"),
    "aggregate": N_("Consultation counts by group (small groups hidden)"),
    "tips": N_("Tip reactions"),
    "events": N_("Event replies and attendance"),
    "messages": N_("Message log (no message text)"),
}
BAD_DATES = N_("Write dates as YYYY-MM-DD, with the first day no later than the last.")
NO_REASON = N_("An identifiable export needs a written reason.")
NO_CONSULTATION = N_("Choose one of your consultations for this export.")
NOT_YOURS = N_("Choose one of your communities.")
REFUSED = N_("This export could not be made: check your choices and try again.")
CHUNK = 64 * 1024


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    may_export = kit.require("exports")

    def choices(who: StaffIdentity) -> list[ExportChoice]:
        """Consultations this person may export: in their communities (admins: all)."""
        if who.role == "admin":
            return kit.services.exports.consultations()
        mine = set(kit.visible_communities(who))
        return [c for c in kit.services.exports.consultations() if c.community_id in mine]

    def page(
        request: Request,
        who: StaffIdentity,
        status: int = 200,
        error: str | None = None,
        **form: str,
    ) -> HTMLResponse:
        tr = kit.tr(request)
        return kit.render(
            request,
            "exports_form.html",
            TITLE,
            who=who,
            status=status,
            error=error,
            datasets=[(key, tr._(name)) for key, name in DATASET_NAMES.items()],
            formats=FORMATS,
            communities=[(c, kit.communities[c].name) for c in kit.visible_communities(who)],
            consultations=choices(who),
            form=form,
            # Admins read the export audit log here; nobody else sees who exported what.
            recent=kit.services.exports.recent() if who.role == "admin" else None,
        )

    @router.get("/admin/exports", response_class=HTMLResponse)
    def exports_form(
        request: Request, who: Annotated[StaffIdentity, Depends(may_export)]
    ) -> Response:
        return page(request, who)

    @router.post("/admin/exports")
    def exports_download(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may_export)],
        dataset: Annotated[str, Form()] = "",
        fmt: Annotated[str, Form(alias="format")] = "csv",
        consultation: Annotated[str, Form()] = "",
        community: Annotated[str, Form()] = "",
        date_from: Annotated[str, Form(alias="from")] = "",
        date_to: Annotated[str, Form(alias="to")] = "",
        finished_only: Annotated[str, Form()] = "",
        include_free_text: Annotated[str, Form()] = "",
        identifiable: Annotated[str, Form()] = "",
        reason: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        if dataset not in DATASETS or fmt not in FORMATS:
            raise HTTPException(status_code=400, detail="Unknown dataset or format")
        form = {
            "dataset": dataset,
            "format": fmt,
            "consultation": consultation,
            "community": community,
            "from": date_from,
            "to": date_to,
            "finished_only": finished_only,
            "include_free_text": include_free_text,
            "identifiable": identifiable,
            "reason": reason,
        }

        def refuse(error: str) -> Response:
            return page(request, who, status=400, error=error, **form)

        visible = kit.visible_communities(who)
        if community and community not in visible:
            return refuse(NOT_YOURS)
        try:
            filters = parse_filters(
                {
                    "from": date_from,
                    "to": date_to,
                    "community": community,
                    "finished_only": "yes" if finished_only else "",
                    "include_free_text": "yes" if include_free_text else "",
                },
                visible,
            )
        except ExportError:
            return refuse(BAD_DATES)
        if filters.communities is None and who.role != "admin":
            filters = replace(filters, communities=tuple(visible))
        if dataset in NEEDS_CONSULTATION:
            if consultation not in {c.consultation_id for c in choices(who)}:
                return refuse(NO_CONSULTATION)
            filters = replace(filters, consultation=consultation)
        mode: Mode = "identifiable" if identifiable else "pseudonymised"
        if mode == "identifiable" and not reason.strip():
            return refuse(NO_REASON)
        asked = ExportRequest(dataset, fmt, mode, filters, reason.strip() or None)
        try:
            made = kit.services.exports.export(asked, who.username)
        except ExportError:
            return refuse(REFUSED)
        return StreamingResponse(
            iter(lambda: made.content.read(CHUNK), b""),
            media_type=made.media_type,
            headers={
                "Content-Disposition": f'attachment; filename="{made.filename}"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
                "X-Export-Rows": str(made.rows),
            },
            background=BackgroundTask(made.content.close),
        )

    return router
