"""The service behind the JSON API: tokens, and the CLI's consultation and event use cases."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from admin.auth import StaffIdentity
from admin.ports.api import (
    ApiProblem,
    ConsultationView,
    EventOutcome,
    EventView,
    GroupView,
    PlanView,
    RsvpView,
)
from admin.ports.events import EventRefused
from bot import consultations as consultation_cases
from bot import events as event_cases
from bot.desks.events import REFUSED, EventsDesk
from bot.desks.tokens import token_hash
from bot.settings import ConfigError
from conversations.consultations.model import Consultation
from conversations.consultations.validate import validate as validate_consultation
from conversations.events.model import Event
from conversations.events.validate import validate as validate_event
from storage import api_tokens, audit
from storage import consultations as consultation_store
from storage import event_rsvps as rsvps
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_results import Results
from storage.consultation_results import results as compute_results
from storage.db import transaction
from storage.event_models import Event as EventRow

if TYPE_CHECKING:
    from bot.container import Container

SHAPE = "the body should be a JSON object with id, title, intro and questions"
EVENT_SHAPE = "the body should be a JSON object with id, title, description, starts_at, ..."


def _no_lines(_path: str) -> int | None:
    return None  # JSON has no lines worth naming; problems name their path instead


def consultation_view(row: ConsultationRow) -> ConsultationView:
    audience = row.definition.get("audience") or {}
    return ConsultationView(
        id=row.id,
        title=dict(row.definition.get("title") or {}),
        status=row.status,
        community=audience.get("community"),
        launch_at=row.launch_at,
        launched_at=row.launched_at,
        closes_at=row.closes_at,
        closed_at=row.closed_at,
        recipients=row.recipients,
        created_by=row.created_by,
    )


def event_view(row: EventRow) -> EventView:
    return EventView(
        id=row.id,
        title=dict(row.definition.get("title") or {}),
        community=row.community_id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        capacity=row.capacity,
        status=row.status,
    )


class ApiDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def authenticate(self, secret: str) -> StaffIdentity | None:
        """The token's role and communities, as a staff identity named `api:<name>`."""
        hashed = token_hash(secret)
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = api_tokens.live_by_hash(session, hashed)
            if row is None or not hmac.compare_digest(row.token_hash, hashed):
                return None
            if row.last_used_at is None or row.last_used_at <= now - api_tokens.TOUCH_EVERY:
                api_tokens.touch(session, row.id, now)
            return StaffIdentity(
                id=row.id,
                username=f"api:{row.name}",
                role=row.role,
                communities=tuple(row.communities or ()),
                stamp="",
            )

    # --- consultations -----------------------------------------------------------------------

    def consultations(self, communities: list[str] | None) -> list[ConsultationView]:
        with transaction(self._container.sessions) as session:
            rows = session.scalars(
                select(ConsultationRow).order_by(ConsultationRow.launch_at, ConsultationRow.id)
            ).all()
            found = [consultation_view(row) for row in rows]
        if communities is None:
            return found
        return [c for c in found if c.community is not None and c.community in communities]

    def consultation(self, consultation_id: str) -> ConsultationView | None:
        with transaction(self._container.sessions) as session:
            row = session.get(ConsultationRow, consultation_id)
            return consultation_view(row) if row else None

    def read_consultation(self, data: Any) -> Consultation:
        if not isinstance(data, dict):
            raise ApiProblem(422, [SHAPE])
        languages = consultation_cases.text_languages(data, self._container.engine.config)
        consultation, problems = validate_consultation(data, _no_lines, languages)
        if consultation is None:
            raise ApiProblem(422, [str(p) for p in problems] or [SHAPE])
        return consultation

    def launch(
        self, actor: str, consultation: Consultation, at: datetime | None, dry_run: bool
    ) -> PlanView:
        container = self._container
        try:
            if dry_run:
                planned = consultation_cases.plan(container, consultation, at)
            else:
                planned = consultation_cases.launch(container, consultation, at, actor=actor)
        except ConfigError as error:
            status = 409 if "already launched" in str(error) else 422
            raise ApiProblem(status, [str(error)]) from None
        now = container.clock()
        outcome = "dry_run" if dry_run else "launched" if planned.launch_at <= now else "scheduled"
        if not dry_run:
            with transaction(container.sessions) as session:
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    action="consultation.launch",
                    subject=f"consultation:{consultation.id}",
                    community_id=consultation.audience.community,
                    detail={"outcome": outcome, "recipients": planned.recipients},
                )
        groups = tuple(
            GroupView(g.language, g.channel, g.recipients, g.segments_each) for g in planned.groups
        )
        return PlanView(
            consultation.id,
            outcome,
            planned.launch_at,
            planned.recipients,
            planned.sms_segments,
            groups,
        )

    def close(self, actor: str, consultation_id: str) -> ConsultationView:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = session.get(ConsultationRow, consultation_id, with_for_update=True)
            if row is None:
                raise KeyError(consultation_id)
            if row.status != "closed":
                consultation_store.close(session, consultation_id, now)
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    action="consultation.close",
                    subject=f"consultation:{consultation_id}",
                    community_id=(row.definition.get("audience") or {}).get("community"),
                )
                session.refresh(row)
            return consultation_view(row)

    def results(self, consultation_id: str) -> Results:
        threshold = self._container.settings.small_cell_threshold
        with transaction(self._container.sessions) as session:
            return compute_results(session, consultation_id, threshold)

    # --- events ------------------------------------------------------------------------------

    def events(self, communities: list[str] | None) -> list[EventView]:
        query = select(EventRow).order_by(EventRow.starts_at, EventRow.id)
        if communities is not None:
            query = query.where(EventRow.community_id.in_(communities))
        with transaction(self._container.sessions) as session:
            return [event_view(row) for row in session.scalars(query).all()]

    def event(self, event_id: str) -> EventView | None:
        with transaction(self._container.sessions) as session:
            row = session.get(EventRow, event_id)
            return event_view(row) if row else None

    def read_event(self, data: Any) -> Event:
        """As `event create`: every language of every community, the community's at least."""
        if not isinstance(data, dict):
            raise ApiProblem(422, [EVENT_SHAPE])
        config = self._container.engine.config
        languages = tuple(
            dict.fromkeys(lang for c in config.communities.values() for lang in c.languages)
        )
        event, problems = validate_event(data, _no_lines, languages, tuple(config.communities))
        if event is None:
            raise ApiProblem(422, [str(p) for p in problems] or [EVENT_SHAPE])
        return event

    def create_event(self, actor: str, event: Event) -> EventOutcome:
        try:
            outcome = event_cases.create(self._container, event, actor=actor)
        except ConfigError as error:
            raise ApiProblem(422, [str(error)]) from None
        with transaction(self._container.sessions) as session:
            audit.record(
                session,
                at=self._container.clock(),
                actor=actor,
                action="event.create" if outcome.created else "event.update",
                subject=f"event:{event.id}",
                community_id=event.community,
                detail={"messages": outcome.messages},
            )
        return EventOutcome(outcome.event_id, outcome.created, outcome.messages)

    def cancel_event(self, actor: str, event_id: str) -> int:
        """As the dashboard's Cancel (one transaction with its audit entry); KeyError when
        there is no such event, ApiProblem 409 when it has ended or is already cancelled."""
        try:
            return EventsDesk(self._container).cancel(event_id, actor)
        except EventRefused as refused:
            if refused.msgid == REFUSED:
                raise KeyError(event_id) from None
            raise ApiProblem(409, [refused.msgid]) from None

    def rsvps(self, actor: str, event_id: str) -> tuple[list[RsvpView], dict[str, int]]:
        """Who answered, by pseudonymous code; the look is audited."""
        with transaction(self._container.sessions) as session:
            row = session.get(EventRow, event_id)
            if row is None:
                raise KeyError(event_id)
            rows = [RsvpView(*r) for r in rsvps.rsvp_rows(session, event_id)]
            counts = rsvps.counts(session, event_id)
            audit.record(
                session,
                at=self._container.clock(),
                actor=actor,
                action="event.rsvps",
                subject=f"event:{event_id}",
                community_id=row.community_id,
                detail={"rows": len(rows)},
            )
        return rows, counts
