"""The dashboard pages for delivery health: outbox counts, failures and their reasons, retry."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from admin.auth import N_, StaffIdentity
from admin.kit import PageKit

REASONS = {
    "403": N_("The parent has blocked the bot on Telegram or deleted their account."),
    "400": N_("Telegram refused the message: the chat may no longer exist."),
    "21610": N_("The parent replied STOP to our SMS number, so Twilio will not deliver to it."),
    "21211": N_("The phone number is not valid."),
    "21614": N_("The number cannot receive SMS (it may be a landline)."),
    "429": N_("Too many messages at once: the provider asked us to slow down."),
    "20429": N_("Too many messages at once: the provider asked us to slow down."),
    "network": N_("The provider could not be reached (network or outage)."),
    "telegram": N_("Telegram answered with an error it did not explain."),
    "unreachable": N_("This address was marked unreachable after an earlier permanent failure."),
    "unsupported": N_("The message holds something this channel cannot carry."),
    "malformed": N_("The message could not be sent as written."),
}
OUTAGE = N_("The provider had an outage (a 5xx error); trying again later usually works.")
OTHER = N_("Another error: see the provider's code and detail.")
REFUSED = {
    "not_failed": N_("That message has not failed (it may already have been retried)."),
    "opted_out": N_("Not retried: the parent has opted out, so nothing may be sent to them."),
    "unreachable": N_(
        "Not retried: this address cannot be reached (blocked, or not a valid number)."
    ),
    "erased": N_("Not retried: the family's details have been erased."),
}
# A provider's detail can quote the number it refused: never show it.
NUMBER = re.compile(r"\+?\d[\d ()-]{5,}\d")
STATUSES = ("queued", "sending", "sent", "failed", "cancelled", "expired")


def reason(code: str | None) -> str:
    """A plain explanation (msgid) of a provider's or our own error code."""
    if code is None:
        return OTHER
    if code in REASONS:
        return REASONS[code]
    if len(code) == 3 and code.startswith("5") and code.isdigit():
        return OUTAGE
    return OTHER


def mask(detail: str) -> str:
    """The provider's detail with any phone number or chat id taken out."""
    return NUMBER.sub("…", detail)


def router(kit: PageKit) -> APIRouter:
    router = APIRouter()
    may_see = kit.require("delivery")

    def scope(who: StaffIdentity) -> list[str] | None:
        return None if who.role == "admin" else kit.visible_communities(who)

    def page(
        request: Request,
        who: StaffIdentity,
        status: int = 200,
        error: str | None = None,
        notice: str | None = None,
    ) -> Response:
        health = kit.services.delivery.health(scope(who))
        channels = sorted({c for c, _, _ in health.statuses} | {c for c, _, _ in health.deliveries})
        found = {(c, s): n for c, s, n in health.statuses}
        extra = sorted({s for _, s, _ in health.statuses} - set(STATUSES))
        delivered = {(c, s): n for c, s, n in health.deliveries}
        tr = kit.tr(request)
        return kit.render(
            request,
            "delivery_health.html",
            N_("Delivery health"),
            who=who,
            status=status,
            error=error,
            notice=notice,
            channels=channels,
            statuses=[*STATUSES, *extra],
            counts=found,
            delivery_statuses=sorted({s for _, s, _ in health.deliveries}),
            delivered=delivered,
            failures=health.failures,
            mask=mask,
            reason=lambda code: tr._(reason(code)),
            community_name=lambda c: kit.communities[c].name if c in kit.communities else "",
        )

    @router.get("/admin/delivery", response_class=HTMLResponse)
    def delivery(request: Request, who: Annotated[StaffIdentity, Depends(may_see)]) -> Response:
        queued = request.query_params.get("retried")
        notice = N_("The message is queued again and will be sent shortly.") if queued else None
        return page(request, who, notice=notice)

    @router.post("/admin/delivery/{outbox_id}/retry", response_class=HTMLResponse)
    def retry(
        request: Request,
        outbox_id: int,
        who: Annotated[StaffIdentity, Depends(may_see)],
        csrf: Annotated[str | None, Form()] = None,
    ) -> Response:
        kit.check_csrf(request, csrf)
        outcome = kit.services.delivery.retry(outbox_id, scope(who), who.username)
        if outcome == "not_found":
            raise HTTPException(status_code=404, detail="Not found")
        if outcome == "queued":
            return kit.see_other(f"/admin/delivery?retried={outbox_id}")
        return page(request, who, status=409, error=REFUSED[outcome])

    return router
