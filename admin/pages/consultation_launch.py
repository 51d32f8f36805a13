"""Launching (now or at a time, after a confirmation) and closing a consultation."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.consultation_form import LOCAL_TIME
from admin.kit import PageKit
from admin.pages.consultation_common import (
    CHANNEL_NAMES,
    LANGUAGE_NAMES,
    find,
    local,
    pounds,
    timezone_of,
)
from admin.ports.consultations import Plan, Refused, Stored

NO_TIME = N_("Choose the date and time to send it.")
PAST = N_("That time has passed: choose a time in the future, or send it now.")
REFUSED = N_("It cannot be launched as it is. Edit it and try again.")
NOT_DRAFT = N_("Only a draft can be launched.")
NOT_OPEN = N_("Only a scheduled or open consultation can be closed.")


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    may = kit.require("consultations")
    port = kit.services.consultations

    def show(
        request: Request,
        who: StaffIdentity,
        stored: Stored,
        plan: Plan | None,
        status: int = 200,
        error: str | None = None,
        refusal: str | None = None,
        confirm: bool = False,
        when: str = "now",
        at: str = "",
    ) -> Response:
        tr = kit.tr(request)
        groups = [
            {
                "language": tr._(LANGUAGE_NAMES.get(g.language, g.language)),
                "channel": tr._(CHANNEL_NAMES.get(g.channel, g.channel)),
                "recipients": g.recipients,
                "segments_each": g.segments_each,
                "segments": g.recipients * g.segments_each,
            }
            for g in (plan.groups if plan else ())
        ]
        return kit.render(
            request,
            "consultations_launch.html",
            N_("Confirm the launch") if confirm else N_("Launch"),
            who=who,
            status=status,
            error=error or (REFUSED if refusal else None),
            refusal=refusal,
            stored=stored,
            plan=plan,
            groups=groups,
            cost=pounds(plan.cost_pence) if plan else "",
            price=f"{plan.price_pence:g}" if plan else "",
            send_at=local(kit, plan.launch_at, stored.community) if plan else "",
            timezone=timezone_of(kit, stored.community),
            confirm=confirm,
            when=when,
            at=at,
        )

    def moment(stored: Stored, when: str, at: str) -> tuple[datetime | None, str | None]:
        """The chosen time (None: now), or why it is not a usable one."""
        if when != "later":
            return None, None
        try:
            local_time = datetime.strptime(at.strip(), LOCAL_TIME)
        except ValueError:
            return None, NO_TIME
        chosen = local_time.replace(tzinfo=ZoneInfo(timezone_of(kit, stored.community)))
        if chosen <= port.now():
            return None, PAST
        return chosen, None

    @router.get("/admin/consultations/{consultation_id}/launch", response_class=HTMLResponse)
    def launch_page(
        request: Request, consultation_id: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        stored = find(kit, who, consultation_id)
        if stored.status != "draft":
            return kit.see_other(f"/admin/consultations/{stored.id}")
        try:
            plan = port.plan(stored.id, None)
        except Refused as refused:
            return show(request, who, stored, None, refusal=str(refused))
        return show(request, who, stored, plan)

    @router.post("/admin/consultations/{consultation_id}/launch", response_class=HTMLResponse)
    def launch(
        request: Request,
        consultation_id: str,
        who: Annotated[StaffIdentity, Depends(may)],
        when: Annotated[str, Form()] = "now",
        at: Annotated[str, Form()] = "",
        confirm: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        stored = find(kit, who, consultation_id)
        if stored.status != "draft":
            return show(request, who, stored, None, 400, NOT_DRAFT)
        chosen, problem = moment(stored, when, at)
        try:
            if problem is not None:
                plan = port.plan(stored.id, None)
                return show(request, who, stored, plan, 400, problem, when=when, at=at)
            if confirm != "yes":
                plan = port.plan(stored.id, chosen)
                return show(request, who, stored, plan, confirm=True, when=when, at=at)
            plan = port.launch(stored.id, chosen, who.username)
        except Refused as refused:
            return show(request, who, stored, None, 400, refusal=str(refused))
        done = "scheduled" if chosen is not None else "launched"
        return kit.see_other(f"/admin/consultations/{stored.id}?done={done}")

    @router.post("/admin/consultations/{consultation_id}/close", response_class=HTMLResponse)
    def close(
        request: Request,
        consultation_id: str,
        who: Annotated[StaffIdentity, Depends(may)],
        confirm: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        stored = find(kit, who, consultation_id)
        title = N_("Close the consultation")
        if stored.status not in ("scheduled", "open"):
            page = "consultations_close.html"
            return kit.render(
                request, page, title, who=who, status=400, error=NOT_OPEN, stored=stored
            )
        if confirm != "yes":
            return kit.render(request, "consultations_close.html", title, who=who, stored=stored)
        try:
            port.close(stored.id, who.username)
        except Refused:
            page = "consultations_close.html"
            return kit.render(
                request, page, title, who=who, status=400, error=NOT_OPEN, stored=stored
            )
        return kit.see_other(f"/admin/consultations/{stored.id}?done=closed")

    return router
