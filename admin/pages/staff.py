"""The admin pages for staff accounts: list, create, change access, unlock, reset a password."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, ROLES, StaffIdentity
from admin.kit import ROLE_NAMES, PageKit
from admin.ports.tokens import Refused, StaffRow

Communities = Annotated[list[str] | None, Form()]


def role_choices(kit: PageKit, request: Request) -> list[tuple[str, str]]:
    """(role, its name in the reader's language) for a select."""
    tr = kit.tr(request)
    return [(role, tr._(ROLE_NAMES[role])) for role in ROLES]


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    manage_staff = kit.require("staff")
    desk = kit.services.tokens

    def form_page(
        request: Request,
        who: StaffIdentity,
        person: StaffRow | None,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        **values: object,
    ) -> Response:
        title = N_("Add a staff account") if person is None else N_("Staff account")
        values.setdefault("username", person.username if person else "")
        values.setdefault("role", person.role if person else "worker")
        values.setdefault("chosen", list(person.communities) if person else [])
        return kit.render(
            request,
            "staff_form.html",
            title,
            who=who,
            status=status,
            error=error,
            notice=notice,
            person=person,
            roles=role_choices(kit, request),
            communities=kit.communities,
            **values,
        )

    def member(user_id: int) -> StaffRow:
        person = desk.staff_member(user_id)
        if person is None:
            raise HTTPException(status_code=404, detail="Not found")
        return person

    @router.get("/admin/staff", response_class=HTMLResponse)
    def staff_list(
        request: Request, who: Annotated[StaffIdentity, Depends(manage_staff)]
    ) -> Response:
        tr = kit.tr(request)
        people = [(p, tr._(ROLE_NAMES.get(p.role, p.role))) for p in desk.list_staff()]
        return kit.render(
            request,
            "staff_list.html",
            N_("Staff accounts"),
            who=who,
            people=people,
            communities=kit.communities,
        )

    @router.get("/admin/staff/new", response_class=HTMLResponse)
    def new_page(
        request: Request, who: Annotated[StaffIdentity, Depends(manage_staff)]
    ) -> Response:
        return form_page(request, who, None)

    @router.post("/admin/staff/new", response_class=HTMLResponse)
    def create(
        request: Request,
        who: Annotated[StaffIdentity, Depends(manage_staff)],
        username: Annotated[str, Form()] = "",
        role: Annotated[str, Form()] = "",
        communities: Communities = None,
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        chosen = communities or []
        try:
            made = desk.create_staff(who, username, role, chosen)
        except Refused as refused:
            return form_page(
                request,
                who,
                None,
                status=400,
                error=refused.msgid,
                username=username,
                role=role,
                chosen=chosen,
            )
        return kit.render(
            request,
            "staff_password.html",
            N_("Staff account created"),
            who=who,
            person=made.person,
            password=made.password,
        )

    @router.get("/admin/staff/{user_id}", response_class=HTMLResponse)
    def edit_page(
        request: Request, user_id: int, who: Annotated[StaffIdentity, Depends(manage_staff)]
    ) -> Response:
        return form_page(request, who, member(user_id))

    @router.post("/admin/staff/{user_id}", response_class=HTMLResponse)
    def change(
        request: Request,
        user_id: int,
        who: Annotated[StaffIdentity, Depends(manage_staff)],
        role: Annotated[str, Form()] = "",
        communities: Communities = None,
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        person = member(user_id)
        chosen = communities or []
        try:
            changed = desk.change_access(who, user_id, role, chosen)
        except Refused as refused:
            return form_page(
                request, who, person, status=400, error=refused.msgid, role=role, chosen=chosen
            )
        return form_page(request, who, changed, notice=N_("The changes are saved."))

    @router.post("/admin/staff/{user_id}/unlock", response_class=HTMLResponse)
    def unlock(
        request: Request,
        user_id: int,
        who: Annotated[StaffIdentity, Depends(manage_staff)],
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        member(user_id)
        person = desk.unlock(who, user_id)
        return form_page(request, who, person, notice=N_("The account is unlocked."))

    @router.post("/admin/staff/{user_id}/password", response_class=HTMLResponse)
    def reset_password(
        request: Request,
        user_id: int,
        who: Annotated[StaffIdentity, Depends(manage_staff)],
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        person = member(user_id)
        try:
            made = desk.reset_password(who, user_id)
        except Refused as refused:
            return form_page(request, who, person, status=400, error=refused.msgid)
        return kit.render(
            request,
            "staff_password.html",
            N_("New password"),
            who=who,
            person=made.person,
            password=made.password,
        )

    return router
