"""The staff dashboard under /admin: sign in and out, password change, and who may see what.

Server-rendered Jinja2, no JavaScript; every page in English or Welsh through the catalogs.
Every route checks the session, the permission and (where one is named) the community.
"""

# No `from __future__ import annotations`: FastAPI must see the dependencies made in
# dashboard_router (closures) when it reads the route signatures.
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from admin.auth import (
    N_,
    Session,
    StaffAccounts,
    StaffAuth,
    StaffIdentity,
    allowed,
    password_problem,
)
from conversations.i18n import translator
from conversations.types import Community

TEMPLATES = Path(__file__).resolve().parent / "templates"
ROLE_NAMES = {
    "worker": N_("Community worker"),
    "coordinator": N_("Coordinator"),
    "admin": N_("Administrator"),
}
LOGIN_REFUSED = N_(
    "Wrong username or password. After 5 wrong attempts an account is locked for 15 minutes."
)


def dashboard_router(
    accounts: StaffAccounts,
    secret_key: str,
    secure_cookies: bool,
    communities: Mapping[str, Community],
    languages: tuple[str, ...],
) -> APIRouter:
    """The /admin pages; `secure_cookies` when the public origin is https."""
    auth = StaffAuth(accounts, secret_key, secure_cookies)
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False
    )
    router = APIRouter(prefix="/admin")
    signed_in = auth.require()
    manage_staff = auth.require("staff")
    in_community = auth.require("consultations", community_param="community_id")

    def language(request: Request, session: Session) -> str:
        asked = request.query_params.get("lang")
        if asked in languages:
            session.lang = asked
        if session.lang in languages:
            return session.lang or "en"
        accept = request.headers.get("accept-language", "").lower()
        return "cy" if accept.startswith("cy") and "cy" in languages else "en"

    def render(
        request: Request,
        name: str,
        title: str,
        who: StaffIdentity | None = None,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        **values: Any,
    ) -> HTMLResponse:
        session = auth.session(request)
        lang = language(request, session)
        tr = translator(lang)
        html = env.get_template(name).render(
            _=tr._,
            lang=lang,
            title=tr._(title),
            who=who,
            csrf=session.csrf,
            error=tr._(error) if error else None,
            notice=tr._(notice) if notice else None,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["X-Frame-Options"] = "DENY"
        auth.save(response, session)
        return response

    def see_other(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        if auth.current(request) is not None:
            return see_other("/admin")
        return render(request, "login.html", N_("Sign in"), username="")

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        auth.check_csrf(request, csrf)
        result = accounts.authenticate(username.strip(), password)
        if result.identity is None:
            return render(
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
        response = see_other("/admin")
        auth.save(response, fresh)
        return response

    @router.post("/logout")
    def logout(request: Request, csrf: Annotated[str | None, Form()] = None) -> Response:
        auth.check_csrf(request, csrf)
        response = see_other("/admin/login")
        auth.clear(response)
        return response

    @router.get("", response_class=HTMLResponse)
    def overview(request: Request, who: Annotated[StaffIdentity, Depends(signed_in)]) -> Response:
        tr = translator(language(request, auth.session(request)))
        ids = sorted(communities) if who.role == "admin" else list(who.communities)
        return render(
            request,
            "overview.html",
            N_("Overview"),
            who=who,
            role_name=tr._(ROLE_NAMES.get(who.role, who.role)),
            community_names=[(c, communities[c].name) for c in ids if c in communities],
            can_manage_staff=allowed(who, "staff"),
        )

    @router.get("/password", response_class=HTMLResponse)
    def password_page(
        request: Request, who: Annotated[StaffIdentity, Depends(signed_in)]
    ) -> Response:
        return render(request, "password.html", N_("Change password"), who=who)

    @router.post("/password", response_class=HTMLResponse)
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
            return render(request, page, title, who=who, status=400, error=problem)
        changed = accounts.change_password(who.id, old, new)
        if changed is None:
            error = N_("The current password is not right.")
            return render(request, page, title, who=who, status=400, error=error)
        # This session carries on with the new stamp; every other session has ended.
        session = auth.session(request)
        session.stamp = changed.stamp
        return render(
            request, page, title, who=changed, notice=N_("Your password has been changed.")
        )

    @router.get("/staff", response_class=HTMLResponse)
    def staff_list(
        request: Request, who: Annotated[StaffIdentity, Depends(manage_staff)]
    ) -> Response:
        tr = translator(language(request, auth.session(request)))
        people = [(p, tr._(ROLE_NAMES.get(p.role, p.role))) for p in accounts.list_staff()]
        return render(request, "staff.html", N_("Staff accounts"), who=who, people=people)

    @router.get("/communities/{community_id}", response_class=HTMLResponse)
    def community_page(
        request: Request,
        community_id: str,
        who: Annotated[StaffIdentity, Depends(in_community)],
    ) -> Response:
        community = communities.get(community_id)
        if community is None:
            raise HTTPException(status_code=404, detail="No such community")
        return render(request, "community.html", community.name, who=who)

    return router
