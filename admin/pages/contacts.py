"""The dashboard pages for contacts: search by code (no addresses), open one (audited),
take a full copy (JSON) or erase the family (both audited)."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.pages.content import WEEKDAYS
from admin.ports.content import BANDS_BY_KEY
from storage.contact_search import ContactFilter, normalise_code

PER_PAGE = 50
STATUSES = {
    "onboarding": N_("Joining"),
    "active": N_("Active"),
    "declined": N_("Declined"),
    "opted_out": N_("Opted out"),
}
CHANNELS = {"sms": N_("SMS"), "telegram": N_("Telegram")}


def router(kit: PageKit) -> APIRouter:
    api = APIRouter()
    may = kit.require("contacts")

    def names() -> dict[str, Any]:
        return {
            "statuses": STATUSES,
            "channels": CHANNELS,
            "band_label": (lambda key: BANDS_BY_KEY[key].label if key in BANDS_BY_KEY else ""),
            "community_name": (
                lambda cid: kit.communities[cid].name if cid in kit.communities else cid
            ),
        }

    @api.get("/admin/contacts", response_class=HTMLResponse)
    def search(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may)],
        code: str = "",
        community: str = "",
        status: str = "",
        language: str = "",
        channel: str = "",
        page: int = 1,
        erased: str = "",
    ) -> Response:
        visible = kit.visible_communities(who)
        values = {
            "code": code,
            "community": community if community in visible else "",
            "status": status if status in STATUSES else "",
            "language": language if language in kit.languages else "",
            "channel": channel if channel in CHANNELS else "",
        }
        prefix = normalise_code(code)
        context = {
            "values": values,
            "communities": [(c, kit.communities[c].name) for c in visible],
            "languages": kit.languages,
            **names(),
        }
        if prefix is None:
            error = N_("A code has up to 8 letters and digits, like K7P3-M9XZ.")
            return kit.render(
                request, "contacts_list.html", N_("Contacts"), who=who, status=400,
                error=error, result=None, page=1, pages=1, query="", **context,
            )  # fmt: skip
        where = ContactFilter(
            communities=tuple(visible),
            code=prefix,
            community=values["community"] or None,
            status=values["status"] or None,
            language=values["language"] or None,
            channel=values["channel"] or None,
        )
        page = max(page, 1)
        result = kit.services.contacts.search(where, page, PER_PAGE)
        pages = max(1, -(-result.total // PER_PAGE))
        query = urlencode({k: v for k, v in values.items() if v})
        notice = N_("The family has been erased.") if erased else None
        return kit.render(
            request, "contacts_list.html", N_("Contacts"), who=who, notice=notice,
            result=result, page=page, pages=pages, query=query, **context,
        )  # fmt: skip

    def full_code(code: str) -> str:
        """The stored form of a whole code; 404 for anything else."""
        wanted = normalise_code(code)
        if not wanted or len(wanted) != 9:
            raise HTTPException(status_code=404, detail="Not found")
        return wanted

    @api.get("/admin/contacts/{code}", response_class=HTMLResponse)
    def open_contact(
        request: Request, code: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        wanted = full_code(code)
        found = kit.services.contacts.open(wanted, kit.visible_communities(who), who.username)
        if found is None:
            raise HTTPException(status_code=404, detail="Not found")
        return kit.render(
            request,
            "contacts_detail.html",
            N_("Contact"),
            who=who,
            contact=found,
            weekday_name=(lambda n: WEEKDAYS[n]),
            **names(),
        )

    @api.get("/admin/contacts/{code}/copy.json")
    def full_copy(code: str, who: Annotated[StaffIdentity, Depends(may)]) -> Response:
        wanted = full_code(code)
        found = kit.services.contacts.copy(wanted, kit.visible_communities(who), who.username)
        if found is None:
            raise HTTPException(status_code=404, detail="Not found")
        disposition = f'attachment; filename="contact-{wanted}.json"'
        return JSONResponse(
            found, headers={"Content-Disposition": disposition, "Cache-Control": "no-store"}
        )

    def erase_page(
        request: Request, who: StaffIdentity, code: str, status: int = 200,
        error: str | None = None, reason: str = "",
    ) -> Response:  # fmt: skip
        brief = kit.services.contacts.brief(full_code(code), kit.visible_communities(who))
        if brief is None:
            raise HTTPException(status_code=404, detail="Not found")
        return kit.render(
            request, "contacts_erase.html", N_("Erase this family"), who=who, status=status,
            error=error, contact=brief, reason=reason, **names(),
        )  # fmt: skip

    @api.get("/admin/contacts/{code}/erase", response_class=HTMLResponse)
    def confirm_erase(
        request: Request, code: str, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        return erase_page(request, who, code)

    @api.post("/admin/contacts/{code}/erase", response_class=HTMLResponse)
    def erase(
        request: Request,
        code: str,
        who: Annotated[StaffIdentity, Depends(may)],
        reason: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        wanted = full_code(code)
        reason = reason.strip()
        if not reason:
            error = N_("Write why this family is being erased (for example, their request).")
            return erase_page(request, who, wanted, status=400, error=error)
        if len(reason) > 500:
            error = N_("The reason can be at most 500 characters.")
            return erase_page(request, who, wanted, status=400, error=error, reason=reason)
        if not kit.services.contacts.erase(
            wanted, kit.visible_communities(who), who.username, reason
        ):
            raise HTTPException(status_code=404, detail="Not found")
        return kit.see_other("/admin/contacts?erased=1")

    return api
