"""The dashboard pages for events: list, create, edit, cancel, RSVPs and attendance."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
import dataclasses
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.pages import event_form as forms
from admin.ports.events import EventDetail, EventRefused
from conversations.consultations.checks import CHANNELS
from conversations.events.model import Event

DONE = {
    "created": N_("Created and announced. Parents told: {n}"),
    "updated": N_("Saved. Parents told about the change: {n}"),
    "cancelled": N_("Cancelled. Parents told: {n}"),
    "attendance": N_("Attendance saved. Marked: {n}"),
}
ANSWERS = {
    "yes": N_("Going"),
    "maybe": N_("Maybe"),
    "waitlist": N_("Waiting list"),
    "no": N_("Can't come"),
}
FORM_PROBLEMS = N_("Some details need changing: see the messages beside the fields.")


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    staff = kit.require("events")
    events = kit.services.events

    def when(event: Event, lang: str) -> str:
        zone = ZoneInfo(kit.communities[event.community].timezone)
        return event.when_text(lang, with_year=True, zone=zone)

    def load(who: StaffIdentity, event_id: str) -> EventDetail:
        detail = events.detail(event_id)
        if detail is None:
            raise HTTPException(status_code=404, detail="Not found")
        kit.check_community(who, "events", detail.event.community)
        return detail

    def form_page(
        request: Request,
        who: StaffIdentity,
        draft: forms.EventDraft,
        editing: bool,
        status: int = 200,
        problems: list[forms.FormProblem] | None = None,
        error: str | None = None,
    ) -> Response:
        tr = kit.tr(request)
        by_field: dict[str, list[str]] = {}
        for p in problems or []:
            text = tr._(p.msgid) + (f" {p.detail}" if p.detail else "")
            by_field.setdefault(p.field, []).append(text)
        communities = [(c, kit.communities[c]) for c in kit.visible_communities(who)]
        reminders = tuple(dict.fromkeys((*forms.REMINDER_CHOICES, *draft.reminders)))
        title = N_("Edit event") if editing else N_("New event")
        return kit.render(
            request,
            "events_form.html",
            title,
            who=who,
            status=status,
            error=error or (FORM_PROBLEMS if problems else None),
            draft=draft,
            editing=editing,
            problems=by_field,
            communities=communities,
            languages=kit.languages,
            reminder_choices=reminders,
            channels=CHANNELS,
        )

    def show(
        request: Request,
        who: StaffIdentity,
        detail: EventDetail,
        status: int = 200,
        error: str | None = None,
        done: str | None = None,
    ) -> Response:
        lang = kit.language(request)
        event = detail.event
        # The event's own title is the heading (not a catalog message).
        name = event.title.get(lang) or event.title.get("en", event.id)
        return kit.render(
            request,
            "events_detail.html",
            name,
            who=who,
            status=status,
            error=error,
            detail=detail,
            event=event,
            when=when(event, lang),
            community=kit.communities[event.community].name,
            done=done,
            answers=ANSWERS,
            can_mark=detail.started and detail.status == "announced",
            can_change=detail.status == "announced" and not detail.ended,
        )

    async def posted(request: Request) -> forms.EventDraft:
        form = await request.form()
        kit.check_csrf(request, str(form.get("csrf") or "") or None)
        values = {k: str(v) for k, v in form.items()}
        ticked = [str(v) for v in form.getlist("reminders")]
        return forms.from_form(values, ticked, kit.languages)

    def done_url(event_id: str, done: str, n: int) -> str:
        return f"/admin/events/{event_id}?" + urlencode({"done": done, "n": n})

    @router.get("/admin/events", response_class=HTMLResponse)
    def list_page(request: Request, who: Annotated[StaffIdentity, Depends(staff)]) -> Response:
        lang = kit.language(request)
        found = events.list_events(kit.visible_communities(who))
        rows = [(s, when(s.event, lang), kit.communities[s.event.community].name) for s in found]
        is_upcoming = [s.status == "announced" and not s.ended for s, _, _ in rows]
        upcoming = [r for r, up in zip(rows, is_upcoming, strict=True) if up]
        past = [r for r, up in reversed(list(zip(rows, is_upcoming, strict=True))) if not up]
        return kit.render(
            request, "events_list.html", N_("Events"), who=who, upcoming=upcoming, past=past
        )

    @router.get("/admin/events/new", response_class=HTMLResponse)
    def new_page(request: Request, who: Annotated[StaffIdentity, Depends(staff)]) -> Response:
        first = next(iter(kit.visible_communities(who)), "")
        return form_page(request, who, forms.EventDraft(community=first), editing=False)

    @router.post("/admin/events/new", response_class=HTMLResponse)
    async def create(request: Request, who: Annotated[StaffIdentity, Depends(staff)]) -> Response:
        draft = await posted(request)
        community = kit.communities.get(draft.community)
        if community is None:
            problem = forms.FormProblem("community", N_("Choose one of your communities."))
            return form_page(request, who, draft, False, 400, [problem])
        kit.check_community(who, "events", community.id)
        event, problems = forms.parse(draft, community, kit.languages)
        if event is None:
            return form_page(request, who, draft, False, 400, problems)
        try:
            saved = events.create(event, who.username)
        except EventRefused as refused:
            return form_page(request, who, draft, False, 400, error=refused.msgid)
        return kit.see_other(done_url(saved.event_id, "created", saved.told))

    @router.get("/admin/events/{event_id}", response_class=HTMLResponse)
    def detail_page(
        request: Request, event_id: str, who: Annotated[StaffIdentity, Depends(staff)]
    ) -> Response:
        detail = load(who, event_id)
        tr = kit.tr(request)
        done, n = request.query_params.get("done", ""), request.query_params.get("n", "0")
        message = tr._(DONE[done], n=int(n)) if done in DONE and n.isdigit() else None
        return show(request, who, detail, done=message)

    @router.get("/admin/events/{event_id}/edit", response_class=HTMLResponse)
    def edit_page(
        request: Request, event_id: str, who: Annotated[StaffIdentity, Depends(staff)]
    ) -> Response:
        detail = load(who, event_id)
        timezone = kit.communities[detail.event.community].timezone
        return form_page(request, who, forms.of_event(detail.event, timezone), editing=True)

    @router.post("/admin/events/{event_id}/edit", response_class=HTMLResponse)
    async def edit(
        request: Request, event_id: str, who: Annotated[StaffIdentity, Depends(staff)]
    ) -> Response:
        draft = await posted(request)
        detail = load(who, event_id)
        # The id and community stay as they were: parents' buttons name the id.
        community = kit.communities[detail.event.community]
        draft = dataclasses.replace(draft, id=event_id, community=community.id)
        event, problems = forms.parse(draft, community, kit.languages)
        if event is None:
            return form_page(request, who, draft, True, 400, problems)
        try:
            saved = events.update(event, who.username)
        except EventRefused as refused:
            return form_page(request, who, draft, True, 400, error=refused.msgid)
        return kit.see_other(done_url(event_id, "updated", saved.told))

    @router.get("/admin/events/{event_id}/cancel", response_class=HTMLResponse)
    def cancel_page(
        request: Request, event_id: str, who: Annotated[StaffIdentity, Depends(staff)]
    ) -> Response:
        detail = load(who, event_id)
        lang = kit.language(request)
        return kit.render(
            request,
            "events_cancel.html",
            N_("Cancel event"),
            who=who,
            detail=detail,
            event=detail.event,
            event_name=detail.event.title.get(lang) or detail.event.title.get("en", event_id),
            when=when(detail.event, lang),
        )

    @router.post("/admin/events/{event_id}/cancel", response_class=HTMLResponse)
    async def cancel(
        request: Request, event_id: str, who: Annotated[StaffIdentity, Depends(staff)]
    ) -> Response:
        form = await request.form()
        kit.check_csrf(request, str(form.get("csrf") or "") or None)
        load(who, event_id)
        try:
            told = events.cancel(event_id, who.username)
        except EventRefused as refused:
            detail = load(who, event_id)
            lang = kit.language(request)
            return kit.render(
                request,
                "events_cancel.html",
                N_("Cancel event"),
                who=who,
                status=400,
                error=refused.msgid,
                detail=detail,
                event=detail.event,
                event_name=detail.event.title.get(lang) or detail.event.title.get("en", event_id),
                when=when(detail.event, lang),
            )
        return kit.see_other(done_url(event_id, "cancelled", told))

    @router.post("/admin/events/{event_id}/attendance", response_class=HTMLResponse)
    async def attendance(
        request: Request, event_id: str, who: Annotated[StaffIdentity, Depends(staff)]
    ) -> Response:
        form = await request.form()
        kit.check_csrf(request, str(form.get("csrf") or "") or None)
        detail = load(who, event_id)
        known = {line.code for line in detail.rsvps}
        marks = {
            key.removeprefix("attended_"): str(value)
            for key, value in form.items()
            if key.startswith("attended_") and key.removeprefix("attended_") in known
        }
        came = sorted(code for code, mark in marks.items() if mark == "yes")
        absent = sorted(code for code, mark in marks.items() if mark == "no")
        try:
            events.mark_attendance(event_id, came, absent, who.username)
        except EventRefused as refused:
            return show(request, who, detail, status=400, error=refused.msgid)
        return kit.see_other(done_url(event_id, "attendance", len(came)))

    return router
