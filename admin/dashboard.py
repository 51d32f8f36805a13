"""The staff dashboard under /admin: sign in and out, password change, and every area's pages.

Server-rendered Jinja2, no JavaScript build; every page in English or Welsh through the catalogs.
Every route checks the session, the permission and (where one is named) the community. The
areas live in `admin/pages/`, one module each.
"""

# No `from __future__ import annotations`: FastAPI must see the dependencies made in
# dashboard_router (closures) when it reads the route signatures.
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, Session, StaffAccounts, StaffAuth, StaffIdentity, password_problem
from admin.kit import PageKit, make_environment
from admin.pages import (
    audit,
    consultations,
    contacts,
    content,
    delivery,
    events,
    exports,
    inbox,
    overview,
    results,
    simulator,
    tokens,
)
from admin.services import DashboardServices
from conversations.types import Community

LOGIN_REFUSED = N_(
    "Wrong username or password. After 5 wrong attempts an account is locked for 15 minutes."
)
AREAS = (
    overview,
    consultations,
    results,
    exports,
    events,
    content,
    contacts,
    inbox,
    simulator,
    delivery,
    audit,
)


def dashboard_router(
    accounts: StaffAccounts,
    secret_key: str,
    secure_cookies: bool,
    communities: Mapping[str, Community],
    languages: tuple[str, ...],
    services: DashboardServices,
) -> APIRouter:
    """The /admin pages; `secure_cookies` when the public origin is https."""
    auth = StaffAuth(accounts, secret_key, secure_cookies)
    kit = PageKit(auth, make_environment(), communities, languages, services)
    router = APIRouter()
    signed_in = kit.require()

    @router.get("/admin/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        if auth.current(request) is not None:
            return kit.see_other("/admin")
        return kit.render(request, "login.html", N_("Sign in"), username="")

    @router.post("/admin/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        auth.check_csrf(request, csrf)
        result = accounts.authenticate(username.strip(), password)
        if result.identity is None:
            return kit.render(
                request,
                "login.html",
                N_("Sign in"),
                status=401,
                error=LOGIN_REFUSED,
                username=username,
            )
        old = auth.session(request)
        # A new session (and CSRF token) on sign-in, so a planted cookie is worth nothing.
        fresh = Session(user_id=result.identity.id, stamp=result.identity.stamp, lang=old.lang)
        response = kit.see_other("/admin")
        auth.save(response, fresh)
        return response

    @router.post("/admin/logout")
    def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
        auth.check_csrf(request, csrf)
        response = kit.see_other("/admin/login")
        auth.clear(response)
        return response

    @router.get("/admin/password", response_class=HTMLResponse)
    def password_page(
        request: Request, who: Annotated[StaffIdentity, Depends(signed_in)]
    ) -> Response:
        return kit.render(request, "password.html", N_("Change password"), who=who)

    @router.post("/admin/password", response_class=HTMLResponse)
    def change_password(
        request: Request,
        who: Annotated[StaffIdentity, Depends(signed_in)],
        old: Annotated[str, Form()] = "",
        new: Annotated[str, Form()] = "",
        confirm: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        auth.check_csrf(request, csrf)
        page, title = "password.html", N_("Change password")
        problem = password_problem(new)
        if problem is None and new != confirm:
            problem = N_("The two new passwords are not the same.")
        if problem:
            return kit.render(request, page, title, who=who, status=400, error=problem)
        changed = accounts.change_password(who.id, old, new)
        if changed is None:
            error = N_("The current password is not right.")
            return kit.render(request, page, title, who=who, status=400, error=error)
        # This session carries on with the new stamp; every other session has ended.
        session = auth.session(request)
        session.stamp = changed.stamp
        return kit.render(
            request, page, title, who=changed, notice=N_("Your password has been changed.")
        )

    for area in AREAS:
        router.include_router(area.router(kit))
    router.include_router(tokens.router(kit, accounts))
    return router
