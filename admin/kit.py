"""What every dashboard page shares: the session, the language, templates, permissions.

Each area of the dashboard (consultations, events, inbox…) is a module in `admin/pages/` with
one function, `router(kit) -> APIRouter`; the kit carries everything those routers need and
the services (`kit.services`) the composition root handed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from admin.auth import N_, Session, StaffAuth, StaffIdentity, allowed
from admin.services import DashboardServices
from conversations.i18n import Translator, translator
from conversations.types import Community

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
ROLE_NAMES = {
    "worker": N_("Community worker"),
    "coordinator": N_("Coordinator"),
    "admin": N_("Administrator"),
}


def make_environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False
    )


@dataclass
class PageKit:
    auth: StaffAuth
    env: Environment
    communities: Mapping[str, Community]
    languages: tuple[str, ...]
    services: DashboardServices

    def language(self, request: Request) -> str:
        """`?lang=` (remembered in the session), else the session's, else Accept-Language."""
        session = self.auth.session(request)
        asked = request.query_params.get("lang")
        if asked in self.languages:
            session.lang = asked
        if session.lang in self.languages:
            return session.lang or "en"
        accept = request.headers.get("accept-language", "").lower()
        return "cy" if accept.startswith("cy") and "cy" in self.languages else "en"

    def tr(self, request: Request) -> Translator:
        return translator(self.language(request))

    def require(
        self, permission: str | None = None, community_param: str | None = None
    ) -> Callable[[Request], StaffIdentity]:
        """A dependency: signed in, allowed `permission` (in the path's community)."""
        return self.auth.require(permission, community_param)

    def visible_communities(self, who: StaffIdentity) -> list[str]:
        """The community ids this person may see, in configuration order."""
        if who.role == "admin":
            return list(self.communities)
        return [c for c in self.communities if c in who.communities]

    def check_community(self, who: StaffIdentity, permission: str, community: str) -> None:
        """404 for a thing in a community this person may not see: never confirm it exists."""
        if not allowed(who, permission, community):
            raise HTTPException(status_code=404, detail="Not found")

    def check_csrf(self, request: Request, token: str | None) -> None:
        self.auth.check_csrf(request, token)

    def render(
        self,
        request: Request,
        name: str,
        title: str,
        who: StaffIdentity | None = None,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        **values: Any,
    ) -> HTMLResponse:
        """A page in the staff member's language; `title`, `error` and `notice` are msgids."""
        session: Session = self.auth.session(request)
        lang = self.language(request)
        # Every page says when safeguarding alerts wait, so nobody has to go looking.
        alerts = 0
        if who is not None and allowed(who, "inbox"):
            alerts = self.services.inbox.open_alerts(self.visible_communities(who))
        tr = translator(lang)
        html = self.env.get_template(name).render(
            _=tr._,
            lang=lang,
            title=tr._(title),
            who=who,
            can=(lambda permission: who is not None and allowed(who, permission)),
            csrf=session.csrf,
            error=tr._(error) if error else None,
            notice=tr._(notice) if notice else None,
            path=request.url.path,
            open_alerts=alerts,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        # The security headers (CSP and friends) are added to every response by admin/headers.py.
        response.headers["Cache-Control"] = "no-store"
        self.auth.save(response, session)
        return response

    @staticmethod
    def see_other(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)
