"""The dashboard pages for the simulator: chat with the real engine as a parent would."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit
from admin.ports.simulator import Conversation, SimulatorRefused
from conversations.i18n import language_name

TITLE = N_("Simulator")
CHANNELS = (("telegram", N_("Telegram")), ("sms", N_("SMS")))
MAX_TEXT = 1600


def _session_id(raw: str) -> int:
    """A session id from the path; anything else is simply not found."""
    if not raw.isdigit() or len(raw) > 12:
        raise HTTPException(status_code=404, detail="Not found")
    return int(raw)


def router(kit: PageKit) -> APIRouter:
    routes = APIRouter()
    may_simulate = kit.require("simulator")
    service = kit.services.simulator

    def start_page(
        request: Request,
        who: StaffIdentity,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
        chosen: dict[str, str] | None = None,
    ) -> HTMLResponse:
        communities = [(c, kit.communities[c].name) for c in kit.visible_communities(who)]
        return kit.render(
            request,
            "simulator_start.html",
            TITLE,
            who=who,
            status=status,
            error=error,
            notice=notice,
            channels=CHANNELS,
            languages=[(lang, language_name(lang)) for lang in kit.languages],
            communities=communities,
            chosen=chosen or {},
            current=service.current(who.username),
        )

    def conversation_page(
        request: Request,
        who: StaffIdentity,
        chat: Conversation,
        status: int = 200,
        error: str | None = None,
        text: str = "",
    ) -> HTMLResponse:
        community = kit.communities.get(chat.community_id)
        return kit.render(
            request,
            "simulator_chat.html",
            TITLE,
            who=who,
            status=status,
            error=error,
            chat=chat,
            community_name=community.name if community else chat.community_id,
            language_label=language_name(chat.language),
            text=text,
        )

    def own(who: StaffIdentity, session_id: int) -> Conversation:
        chat = service.conversation(who.username, session_id)
        if chat is None:
            raise HTTPException(status_code=404, detail="Not found")
        kit.check_community(who, "simulator", chat.community_id)
        return chat

    @routes.get("/admin/simulator", response_class=HTMLResponse)
    def simulator_home(
        request: Request, who: Annotated[StaffIdentity, Depends(may_simulate)]
    ) -> Response:
        ended = request.query_params.get("ended") == "1"
        return start_page(request, who, notice=N_("The conversation has ended.") if ended else None)

    @routes.post("/admin/simulator/start", response_class=HTMLResponse)
    def simulator_start(
        request: Request,
        who: Annotated[StaffIdentity, Depends(may_simulate)],
        channel: Annotated[str, Form()] = "",
        language: Annotated[str, Form()] = "",
        community: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        chosen = {"channel": channel, "language": language, "community": community}
        if channel not in dict(CHANNELS) or language not in kit.languages:
            return start_page(
                request, who, 400, N_("Choose a channel and a language."), chosen=chosen
            )
        if community not in kit.communities:
            return start_page(request, who, 400, N_("Choose a community."), chosen=chosen)
        kit.check_community(who, "simulator", community)
        if language not in kit.communities[community].languages:
            return start_page(
                request,
                who,
                400,
                N_("That community's messages are not in that language."),
                chosen=chosen,
            )
        try:
            session_id = service.start(who.username, community, channel, language)
        except SimulatorRefused as refused:
            return start_page(request, who, 409, refused.msgid, chosen=chosen)
        return kit.see_other(f"/admin/simulator/{session_id}#newest")

    @routes.get("/admin/simulator/{session_id}", response_class=HTMLResponse)
    def simulator_chat(
        request: Request, session_id: str, who: Annotated[StaffIdentity, Depends(may_simulate)]
    ) -> Response:
        return conversation_page(request, who, own(who, _session_id(session_id)))

    @routes.post("/admin/simulator/{session_id}/send", response_class=HTMLResponse)
    def simulator_send(
        request: Request,
        session_id: str,
        who: Annotated[StaffIdentity, Depends(may_simulate)],
        text: Annotated[str, Form()] = "",
        choice: Annotated[str, Form()] = "",
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        number = _session_id(session_id)
        chat = own(who, number)
        if choice:
            live = {
                b.choice_id
                for bubble in chat.bubbles
                if bubble.live
                for line in bubble.buttons
                for b in line
            }
            if chat.channel != "telegram" or choice not in live:
                return conversation_page(
                    request, who, chat, 400, N_("That button is no longer on the screen.")
                )
        elif not text.strip():
            return conversation_page(request, who, chat, 400, N_("Write a message first."))
        elif len(text) > MAX_TEXT:
            return conversation_page(
                request, who, chat, 400, N_("That message is too long to send."), text=text
            )
        service.send(who.username, number, text=text if not choice else "", choice=choice)
        return kit.see_other(f"/admin/simulator/{number}#newest")

    @routes.post("/admin/simulator/{session_id}/end", response_class=HTMLResponse)
    def simulator_end(
        request: Request,
        session_id: str,
        who: Annotated[StaffIdentity, Depends(may_simulate)],
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        number = _session_id(session_id)
        own(who, number)
        service.end(who.username, number)
        return kit.see_other("/admin/simulator?ended=1")

    return routes
