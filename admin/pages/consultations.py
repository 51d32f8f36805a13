"""The dashboard pages for consultations: list, create and edit (a form or YAML), preview.

Launching and closing are in `consultation_launch.py`, included here.
"""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from admin.auth import N_, StaffIdentity, allowed
from admin.consultation_form import (
    MAX_QUESTIONS,
    FormFields,
    QuestionFields,
    from_consultation,
    languages_needed,
    read_form,
    to_data,
)
from admin.kit import PageKit
from admin.pages import consultation_launch
from admin.pages.consultation_common import (
    DONE,
    LANGUAGE_NAMES,
    STATUS_NAMES,
    community_name,
    find,
    local,
    may_see,
    timezone_of,
)
from admin.ports.consultations import Issue, Stored
from conversations.consultations.model import QUESTION_TYPES

TYPE_NAMES = {
    "choice": N_("One choice"),
    "multi": N_("Several choices"),
    "scale": N_("Scale from 1 to 5"),
    "yesno": N_("Yes or no"),
    "number": N_("Number"),
    "text": N_("Free text"),
    "date": N_("Date"),
}
PLACES = {
    "id": N_("Short id"),
    "title": N_("Title"),
    "intro": N_("Introduction"),
    "audience": N_("Audience"),
    "closes_at": N_("Closes"),
    "reminders": N_("Reminders"),
    "questions": N_("Questions"),
}
NOT_YOURS = N_("Choose one of your communities.")
TAKEN = N_("A consultation with this id already exists: choose another id.")
LAUNCHED = N_("This consultation has been launched, so it can no longer be changed.")
OTHER_ID = N_("The id in the YAML must be the id of this consultation.")
BAD_INPUT = N_("Some answers need fixing: see the list below.")


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    may = kit.require("consultations")
    port = kit.services.consultations

    def render_form(
        request: Request,
        who: StaffIdentity,
        form: FormFields,
        editing: Stored | None,
        status: int = 200,
        error: str | None = None,
        issues: list[Issue] = [],  # noqa: B006 (never changed)
        **values: Any,
    ) -> Response:
        tr = kit.tr(request)
        slots = [n for n, q in enumerate(form.questions, start=1) if not q.is_blank()]

        def place(issue: Issue) -> tuple[int | None, str]:
            head = issue.path.split(".")[0].split("[")[0]
            if head == "questions" and issue.path.startswith("questions["):
                index = int(issue.path[len("questions[") :].split("]")[0])
                slot = slots[index] if index < len(slots) else None
                return slot, tr._("Question {number}", number=slot or index + 1)
            return None, tr._(PLACES[head]) if head in PLACES else ""

        placed = [(*place(i), i) for i in issues]
        action = (
            f"/admin/consultations/{editing.id}/edit" if editing else "/admin/consultations/new"
        )
        return kit.render(
            request,
            "consultations_form.html",
            N_("Edit consultation") if editing else N_("New consultation"),
            who=who,
            status=status,
            error=error or (BAD_INPUT if issues else None),
            form=form,
            editing=editing,
            action=action,
            issues=placed,
            communities=[(c, kit.communities[c].name) for c in kit.visible_communities(who)],
            types=[(t, tr._(TYPE_NAMES[t])) for t in QUESTION_TYPES],
            language_names={k: tr._(v) for k, v in LANGUAGE_NAMES.items()},
            max_questions=MAX_QUESTIONS,
            **values,
        )

    def from_yaml(
        request: Request, who: StaffIdentity, editing: Stored | None, text: str
    ) -> Response:
        blank = form_for(who, editing)
        consultation, issues = port.check_yaml(text)
        if consultation is None:
            return render_form(request, who, blank, editing, 400, issues=issues, yaml_text=text)
        community = consultation.audience.community
        mine = community is None and who.role == "admin"
        if not mine and not (community and allowed(who, "consultations", community)):
            return render_form(request, who, blank, editing, 400, NOT_YOURS, yaml_text=text)
        if editing and consultation.id != editing.id:
            return render_form(request, who, blank, editing, 400, OTHER_ID, yaml_text=text)
        return save(request, who, editing, consultation, blank, yaml_text=text)

    def save(
        request: Request,
        who: StaffIdentity,
        editing: Stored | None,
        consultation: Any,
        form: FormFields,
        **values: Any,
    ) -> Response:
        refused = port.save_draft(consultation, who.username, create=editing is None)
        if refused:
            error = TAKEN if refused == "taken" else LAUNCHED
            return render_form(request, who, form, editing, 400, error, **values)
        return kit.see_other(f"/admin/consultations/{consultation.id}?done=saved")

    def form_for(who: StaffIdentity, editing: Stored | None) -> FormFields:
        if editing is not None:
            timezone = timezone_of(kit, editing.community)
            form = from_consultation(editing.consultation, timezone)
        else:
            communities = kit.visible_communities(who)
            form = FormFields(community=communities[0] if communities else "")
        form.questions = form.questions or [QuestionFields()]
        return form

    def submitted(
        request: Request,
        who: StaffIdentity,
        editing: Stored | None,
        raw: dict[str, Any],
    ) -> Response:
        if raw.get("action") == "yaml":
            return from_yaml(request, who, editing, str(raw.get("yaml_text") or ""))
        form = read_form(raw)
        if editing is not None:
            form.cid = editing.id  # the id of a saved draft never changes
        if raw.get("action") == "add":
            if len(form.questions) < MAX_QUESTIONS:
                form.questions.append(QuestionFields())
            return render_form(request, who, form, editing, focus=len(form.questions))
        community = kit.communities.get(form.community)
        if community is None or not allowed(who, "consultations", community.id):
            return render_form(request, who, form, editing, 400, NOT_YOURS)
        data = to_data(form, community.timezone)
        consultation, issues = port.check(data, languages_needed(form, community.languages))
        if consultation is None:
            return render_form(request, who, form, editing, 400, issues=issues)
        if raw.get("action") == "preview":
            preview = port.preview(consultation)
            return render_form(request, who, form, editing, preview=preview)
        return save(request, who, editing, consultation, form)

    async def read(request: Request) -> dict[str, Any]:
        """The posted fields; an uploaded YAML file becomes `yaml_text`."""
        async with request.form() as posted:
            token = posted.get("csrf")
            kit.check_csrf(request, token if isinstance(token, str) else None)
            raw: dict[str, Any] = {k: v for k, v in posted.items() if isinstance(v, str)}
            upload = posted.get("yaml_file")
            if isinstance(upload, UploadFile) and upload.filename:
                content = await upload.read()
                raw["yaml_text"] = content.decode("utf-8-sig", errors="replace")
        return raw

    @router.get("/admin/consultations", response_class=HTMLResponse)
    def consultations(request: Request, who: Annotated[StaffIdentity, Depends(may)]) -> Response:
        tr = kit.tr(request)
        rows = [
            {
                "stored": s,
                "title": s.consultation.title.get(kit.language(request))
                or next(iter(s.consultation.title.values()), s.id),
                "community": community_name(kit, s.community, tr._("Every community")),
                "status": tr._(STATUS_NAMES.get(s.status, s.status)),
                "launch": local(kit, s.launch_at, s.community),
            }
            for s in port.every()
            if may_see(kit, who, s)
        ]
        return kit.render(
            request, "consultations_list.html", N_("Consultations"), who=who, rows=rows
        )

    @router.get("/admin/consultations/new", response_class=HTMLResponse)
    def new_page(request: Request, who: Annotated[StaffIdentity, Depends(may)]) -> Response:
        return render_form(request, who, form_for(who, None), None)

    @router.post("/admin/consultations/new", response_class=HTMLResponse)
    async def create(request: Request, who: Annotated[StaffIdentity, Depends(may)]) -> Response:
        raw = await read(request)
        return await run_in_threadpool(submitted, request, who, None, raw)

    @router.get("/admin/consultations/{consultation_id}", response_class=HTMLResponse)
    def detail(
        request: Request, consultation_id: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        stored = find(kit, who, consultation_id)
        tr = kit.tr(request)
        done = DONE.get(request.query_params.get("done", ""))
        return kit.render(
            request,
            "consultations_detail.html",
            N_("Consultation"),
            who=who,
            notice=done,
            stored=stored,
            status_name=tr._(STATUS_NAMES.get(stored.status, stored.status)),
            community=community_name(kit, stored.community, tr._("Every community")),
            launch=local(kit, stored.launch_at, stored.community),
            closes=local(kit, stored.closes_at, stored.community),
        )

    @router.get("/admin/consultations/{consultation_id}/edit", response_class=HTMLResponse)
    def edit_page(
        request: Request, consultation_id: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        stored = find(kit, who, consultation_id)
        if stored.status != "draft":
            return kit.see_other(f"/admin/consultations/{stored.id}")
        return render_form(request, who, form_for(who, stored), stored)

    @router.post("/admin/consultations/{consultation_id}/edit", response_class=HTMLResponse)
    async def edit(
        request: Request, consultation_id: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        raw = await read(request)
        stored = await run_in_threadpool(find, kit, who, consultation_id)
        return await run_in_threadpool(submitted, request, who, stored, raw)

    @router.get("/admin/consultations/{consultation_id}/preview", response_class=HTMLResponse)
    def preview_page(
        request: Request, consultation_id: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        stored = find(kit, who, consultation_id)
        return kit.render(
            request,
            "consultations_preview.html",
            N_("Preview"),
            who=who,
            stored=stored,
            preview=port.preview(stored.consultation),
            language_names={k: kit.tr(request)._(v) for k, v in LANGUAGE_NAMES.items()},
        )

    router.include_router(consultation_launch.router(kit))
    return router
