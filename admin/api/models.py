"""The JSON shapes of the API, as pydantic models so /openapi.json describes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Out(BaseModel):
    """A response: read from the ports' dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    detail: str | list[str] = Field(description="what was wrong; a list for definition problems")


class CommunityOut(Out):
    id: str
    name: str
    nation: str
    languages: list[str]
    timezone: str


class ConsultationOut(Out):
    id: str
    title: dict[str, str]
    status: str = Field(description="scheduled, open or closed")
    community: str | None = Field(description="the audience's community; null: every community")
    launch_at: datetime
    launched_at: datetime | None
    closes_at: datetime | None
    closed_at: datetime | None
    recipients: int | None
    created_by: str | None


class GroupOut(Out):
    language: str
    channel: str
    recipients: int
    segments_each: int = Field(description="SMS parts for the intro and every question")


class PlanOut(Out):
    id: str
    outcome: Literal["dry_run", "launched", "scheduled"]
    launch_at: datetime
    recipients: int
    sms_segments: int = Field(description="up to this many SMS segments in all")
    groups: list[GroupOut]


class CountOut(Out):
    key: str
    label: str
    count: int | None = Field(description="null when suppressed")
    percent: float | None
    suppressed: Literal["small", "secondary", "group"] | None = None


class QuestionResultOut(Out):
    id: str
    type: str
    text: str
    answered: int | None
    skipped: int | None
    counts: list[CountOut]
    summary: dict[str, float] | None
    breakdowns: dict[str, dict[str, list[CountOut]]]
    breakdown_totals: dict[str, dict[str, CountOut]]


class ResultsOut(Out):
    consultation_id: str
    title: str
    status: str
    invited: int
    started: int
    finished: int
    response_rate: float
    completion_rate: float
    by_dimension: dict[str, dict[str, list[CountOut]]]
    questions: list[QuestionResultOut]
    threshold: int = Field(description="counts below this are hidden")


class EventOut(Out):
    id: str
    title: dict[str, str]
    community: str
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    status: str = Field(description="announced or cancelled")


class EventOutcomeOut(Out):
    id: str
    created: bool = Field(description="false: an existing event was updated")
    messages: int = Field(description="messages queued: the announcement or the change")


class CancelledOut(BaseModel):
    id: str
    told: int = Field(description="residents told of the cancellation")


class RsvpOut(Out):
    code: str = Field(description="the resident's pseudonymous code")
    language: str
    channel: str
    answer: str | None = Field(description="yes, maybe, no, waitlist, or null (not answered)")
    attended: bool | None


class RsvpsOut(BaseModel):
    event_id: str
    counts: dict[str, int]
    rsvps: list[RsvpOut]


class ConsultationDefinition(BaseModel):
    """The consultation YAML file's content, as JSON (checked by the same validator)."""

    id: str
    title: dict[str, str]
    intro: dict[str, str]
    questions: list[dict[str, Any]]
    audience: dict[str, Any] | None = None
    opens_at: str | None = None
    closes_at: str | None = None
    reminders: list[str] | None = None


class LaunchRequest(BaseModel):
    """Either the definition itself (options in the query) or this envelope."""

    definition: dict[str, Any]
    dry_run: bool = False
    launch_at: datetime | None = None


class EventDefinition(BaseModel):
    """The event YAML file's content, as JSON (checked by the same validator)."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    starts_at: str
    ends_at: str
    venue: dict[str, str]
    community: str
    capacity: int | None = None
    audience: dict[str, Any] | None = None
    reminders: list[str] | None = None


def body_schema(*models: type[BaseModel]) -> dict[str, Any]:
    """An OpenAPI requestBody for a body read by hand (to cap its size before parsing)."""
    schemas = [model.model_json_schema() for model in models]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
