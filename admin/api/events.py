"""/api/events: list, create or change (and announce), read, cancel, RSVPs by code."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response

from admin.api.common import BODY_ERRORS, Need, json_body, visible
from admin.api.models import (
    CancelledOut,
    ErrorOut,
    EventDefinition,
    EventOut,
    EventOutcomeOut,
    RsvpOut,
    RsvpsOut,
    body_schema,
)
from admin.auth import StaffIdentity, allowed
from admin.ports.api import ApiPort, ApiProblem, EventView

NOT_FOUND = "no such event"
BAD: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "The definition's problems, one a line"}
}


def routes(api: ApiPort, need: Need) -> APIRouter:
    router = APIRouter(tags=["events"])
    organiser = need("events")

    def find(who: StaffIdentity, event_id: str) -> EventView:
        found = api.event(event_id)
        if found is None or not allowed(who, "events", found.community):
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return found

    @router.get("/events", response_model=list[EventOut])
    def list_events(who: Annotated[StaffIdentity, Depends(organiser)]) -> list[EventOut]:
        """Every event in the token's communities."""
        return [EventOut.model_validate(e) for e in api.events(visible(who))]

    @router.post(
        "/events",
        response_model=EventOutcomeOut,
        responses={
            **BAD,
            **BODY_ERRORS,
            201: {"model": EventOutcomeOut, "description": "Created and announced"},
            409: {"model": ErrorOut, "description": "The id is taken"},
        },
        openapi_extra=body_schema(EventDefinition),
    )
    def create(
        response: Response,
        who: Annotated[StaffIdentity, Depends(organiser)],
        body: Annotated[Any, Depends(json_body)],
    ) -> EventOutcomeOut:
        """Create and announce an event (201), or change one (200) and tell who said yes."""
        try:
            event = api.read_event(body)
        except ApiProblem as problem:
            raise HTTPException(status_code=problem.status, detail=problem.messages) from None
        if not allowed(who, "events", event.community):
            raise HTTPException(status_code=403, detail="this token may not use that community")
        existing = api.event(event.id)
        if existing is not None and not allowed(who, "events", existing.community):
            raise HTTPException(status_code=409, detail=["that id is taken; choose another"])
        try:
            outcome = api.create_event(who.username, event)
        except ApiProblem as problem:
            raise HTTPException(status_code=problem.status, detail=problem.messages) from None
        if outcome.created:
            response.status_code = 201
        return EventOutcomeOut.model_validate(outcome)

    @router.get("/events/{event_id}", response_model=EventOut)
    def read(event_id: str, who: Annotated[StaffIdentity, Depends(organiser)]) -> EventOut:
        return EventOut.model_validate(find(who, event_id))

    @router.post(
        "/events/{event_id}/cancel",
        response_model=CancelledOut,
        responses={409: {"model": ErrorOut, "description": "Cancelled already, or over"}},
    )
    def cancel(event_id: str, who: Annotated[StaffIdentity, Depends(organiser)]) -> CancelledOut:
        """Cancel: everyone who said yes or maybe, or is waiting, is told."""
        find(who, event_id)
        try:
            told = api.cancel_event(who.username, event_id)
        except KeyError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None
        except ApiProblem as problem:  # ended, or cancelled already
            raise HTTPException(status_code=problem.status, detail=problem.messages) from None
        return CancelledOut(id=event_id, told=told)

    @router.get("/events/{event_id}/rsvps", response_model=RsvpsOut)
    def rsvps(event_id: str, who: Annotated[StaffIdentity, Depends(organiser)]) -> RsvpsOut:
        """Who answered what, by pseudonymous code (never an address); the look is audited."""
        find(who, event_id)
        try:
            rows, counts = api.rsvps(who.username, event_id)
        except KeyError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None
        return RsvpsOut(
            event_id=event_id, counts=counts, rsvps=[RsvpOut.model_validate(r) for r in rows]
        )

    return router
