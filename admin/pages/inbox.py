"""The dashboard pages for the inbox: safeguarding alerts first, then unexpected replies."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.ports.inbox import MAX_REPLY_LENGTH, InboxDetail, InboxEntry
from conversations.safeguarding import Screen
from conversations.sms import count_segments

TITLE = N_("Inbox")
EMPTY_REPLY = N_("Write a reply before sending.")
LONG_REPLY = N_("A reply can have at most 1000 characters.")
SENT = N_("Your reply is on its way to the parent.")
HANDLED = N_("Marked as handled.")


def router(kit: PageKit) -> APIRouter:
    routes = APIRouter()
    may = kit.require("inbox")

    def when(moment: datetime | None, community_id: str) -> str:
        """A time as the community's clocks show it."""
        if moment is None:
            return ""
        community = kit.communities.get(community_id)
        zone = ZoneInfo(community.timezone if community else "Europe/London")
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def community_name(community_id: str) -> str:
        community = kit.communities.get(community_id)
        return community.name if community else community_id

    def pieces(entry: InboxEntry) -> list[tuple[str, bool]]:
        return Screen.of({"": entry.matched}).marked(entry.text)

    def visible(who: StaffIdentity, item_id: int) -> InboxEntry:
        entry = kit.services.inbox.entry(item_id)
        if entry is None:
            raise HTTPException(status_code=404, detail="Not found")
        kit.check_community(who, "inbox", entry.community_id)
        return entry

    def helpers() -> dict[str, Any]:
        return {"when": when, "community_name": community_name, "pieces": pieces}

    @routes.get("/admin/inbox", response_class=HTMLResponse)
    def inbox_page(
        request: Request, who: Annotated[StaffIdentity, Depends(may)], show: str = "open"
    ) -> Response:
        handled = show == "handled"
        entries = kit.services.inbox.items(kit.visible_communities(who), handled)
        return kit.render(
            request,
            "inbox_list.html",
            TITLE,
            who=who,
            entries=entries,
            show="handled" if handled else "open",
            alerts=sum(1 for e in entries if e.is_alert),
            **helpers(),
        )

    def item_page(
        request: Request,
        who: StaffIdentity,
        detail: InboxDetail,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        draft: str = "",
    ) -> Response:
        return kit.render(
            request,
            "inbox_item.html",
            N_("Message from a parent"),
            who=who,
            status=status,
            error=error,
            notice=notice,
            detail=detail,
            entry=detail.entry,
            draft=draft,
            draft_segments=count_segments(draft).segments if draft else 0,
            max_length=MAX_REPLY_LENGTH,
            **helpers(),
        )

    def load(who: StaffIdentity, item_id: int) -> InboxDetail:
        visible(who, item_id)
        detail = kit.services.inbox.detail(item_id, who.username)
        if detail is None:
            raise HTTPException(status_code=404, detail="Not found")
        return detail

    @routes.get("/admin/inbox/{item_id}", response_class=HTMLResponse)
    def inbox_item(
        request: Request, item_id: int, who: Annotated[StaffIdentity, Depends(may)]
    ) -> Response:
        notice = {"sent": SENT, "handled": HANDLED}.get(request.query_params.get("done", ""))
        return item_page(request, who, load(who, item_id), notice=notice)

    @routes.post("/admin/inbox/{item_id}/reply", response_class=HTMLResponse)
    def inbox_reply(
        request: Request,
        item_id: int,
        who: Annotated[StaffIdentity, Depends(may)],
        text: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        visible(who, item_id)
        reply = text.strip()
        problem = (
            EMPTY_REPLY if not reply else LONG_REPLY if len(reply) > MAX_REPLY_LENGTH else None
        )
        status = 400
        if problem is None:  # the parent may not be written to (opted out, unreachable)
            problem, status = kit.services.inbox.reply(item_id, who.username, reply), 409
        if problem is not None:
            detail = load(who, item_id)
            return item_page(request, who, detail, status=status, error=problem, draft=text)
        return kit.see_other(f"/admin/inbox/{item_id}?done=sent")

    @routes.post("/admin/inbox/{item_id}/handled")
    def inbox_handled(
        request: Request,
        item_id: int,
        who: Annotated[StaffIdentity, Depends(may)],
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        visible(who, item_id)
        kit.services.inbox.mark_handled(item_id, who.username)
        return kit.see_other(f"/admin/inbox/{item_id}?done=handled")

    return routes
