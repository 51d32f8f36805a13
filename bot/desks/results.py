"""The service behind the dashboard's consultation results and export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from admin.ports.results import Export, Scope
from storage import audit
from storage.consultation_export import responses_csv
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_results import Results
from storage.consultation_results import results as compute_results
from storage.consultations import audience_of
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


class ResultsDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def scope(self, consultation_id: str) -> Scope | None:
        with transaction(self._container.sessions) as session:
            row = session.get(ConsultationRow, consultation_id)
            if row is None:
                return None
            return Scope(consultation_id, audience_of(row).community)

    def results(self, consultation_id: str) -> Results:
        threshold = self._container.settings.small_cell_threshold
        with transaction(self._container.sessions) as session:
            return compute_results(session, consultation_id, threshold)

    def export(self, consultation_id: str, actor: str, reason: str | None = None) -> Export:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = session.get_one(ConsultationRow, consultation_id)
            community = audience_of(row).community
            made = responses_csv(session, consultation_id)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="export",
                subject=f"consultation:{consultation_id}",
                community_id=community,
                reason=reason,
                detail={"rows": made.rows, "format": "csv", "identified": False},
            )
        stamp = now.strftime("%Y%m%d-%H%M")
        return Export(f"{consultation_id}-responses-{stamp}.csv", made.content, made.rows)
