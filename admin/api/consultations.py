"""/api/consultations: list, launch (or plan), read, results, close."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import ValidationError

from admin.api.common import BODY_ERRORS, Need, json_body, may, problems, visible
from admin.api.models import (
    ConsultationDefinition,
    ConsultationOut,
    ErrorOut,
    LaunchRequest,
    PlanOut,
    ResultsOut,
    body_schema,
)
from admin.auth import StaffIdentity
from admin.ports.api import ApiPort, ApiProblem, ConsultationView

NOT_FOUND = "no such consultation"
BAD: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorOut, "description": "The definition's problems, one a line"}
}


def routes(api: ApiPort, need: Need) -> APIRouter:
    router = APIRouter(tags=["consultations"])
    launcher = need("consultations")
    analyst = need("results")

    def find(who: StaffIdentity, consultation_id: str, permission: str) -> ConsultationView:
        found = api.consultation(consultation_id)
        if found is None or not may(who, permission, found.community):
            raise HTTPException(status_code=404, detail=NOT_FOUND)
        return found

    @router.get("/consultations", response_model=list[ConsultationOut])
    def list_consultations(
        who: Annotated[StaffIdentity, Depends(launcher)],
    ) -> list[ConsultationOut]:
        """Every consultation in the token's communities, with its status and recipients."""
        return [ConsultationOut.model_validate(c) for c in api.consultations(visible(who))]

    @router.post(
        "/consultations",
        response_model=PlanOut,
        responses={
            **BAD,
            **BODY_ERRORS,
            201: {"model": PlanOut, "description": "Launched (or scheduled)"},
            409: {"model": ErrorOut, "description": "The id is taken"},
        },
        openapi_extra=body_schema(ConsultationDefinition, LaunchRequest),
    )
    def launch(
        response: Response,
        who: Annotated[StaffIdentity, Depends(launcher)],
        body: Annotated[Any, Depends(json_body)],
        dry_run: bool = False,
        launch_at: datetime | None = None,
    ) -> PlanOut:
        """Launch a consultation (the YAML file's content as JSON) now or at `launch_at`.

        With `dry_run` nothing is stored: the answer is the plan (recipients per language and
        channel, SMS segments). A real launch answers 201.
        """
        definition = body
        if isinstance(body, dict) and "definition" in body:
            try:
                envelope = LaunchRequest.model_validate(body)
            except ValidationError as error:
                raise HTTPException(status_code=422, detail=problems(error.errors())) from None
            definition = envelope.definition
            dry_run = dry_run or envelope.dry_run
            launch_at = envelope.launch_at or launch_at
        if launch_at is not None and launch_at.utcoffset() is None:
            raise HTTPException(status_code=422, detail=["launch_at needs a UTC offset"])
        try:
            consultation = api.read_consultation(definition)
        except ApiProblem as problem:
            raise HTTPException(status_code=problem.status, detail=problem.messages) from None
        community = consultation.audience.community
        if not may(who, "consultations", community):
            raise HTTPException(
                status_code=403, detail="this token may not launch to that audience's community"
            )
        existing = api.consultation(consultation.id)
        if existing is not None and not may(who, "consultations", existing.community):
            raise HTTPException(status_code=409, detail=["that id is taken; choose another"])
        try:
            planned = api.launch(who.username, consultation, launch_at, dry_run)
        except ApiProblem as problem:
            raise HTTPException(status_code=problem.status, detail=problem.messages) from None
        if not dry_run:
            response.status_code = 201
        return PlanOut.model_validate(planned)

    @router.get("/consultations/{consultation_id}", response_model=ConsultationOut)
    def read(
        consultation_id: str, who: Annotated[StaffIdentity, Depends(launcher)]
    ) -> ConsultationOut:
        return ConsultationOut.model_validate(find(who, consultation_id, "consultations"))

    @router.get("/consultations/{consultation_id}/results", response_model=ResultsOut)
    def results(
        consultation_id: str, who: Annotated[StaffIdentity, Depends(analyst)]
    ) -> ResultsOut:
        """Counts per question and breakdowns; small groups hidden, simulated parents left out."""
        find(who, consultation_id, "results")
        try:
            return ResultsOut.model_validate(api.results(consultation_id))
        except KeyError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None

    @router.post("/consultations/{consultation_id}/close", response_model=ConsultationOut)
    def close(
        consultation_id: str, who: Annotated[StaffIdentity, Depends(launcher)]
    ) -> ConsultationOut:
        """Close now: later answers are thanked but not stored."""
        find(who, consultation_id, "consultations")
        try:
            return ConsultationOut.model_validate(api.close(who.username, consultation_id))
        except KeyError:
            raise HTTPException(status_code=404, detail=NOT_FOUND) from None

    return router
