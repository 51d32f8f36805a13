"""The service behind the dashboard's consultation results and export."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from admin.ports.results import Export, Scope
from bot.exports import export, filename
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_results import Results
from storage.consultation_results import results as compute_results
from storage.consultations import audience_of
from storage.db import transaction
from storage.exports.spec import ExportRequest, Filters

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
        """The pseudonymised responses, through the one export function every export uses."""
        request = ExportRequest(
            "responses", "csv", "pseudonymised", Filters(consultation=consultation_id), reason
        )
        buffer = io.BytesIO()
        rows = export(self._container, request, buffer, actor=actor)
        return Export(filename(request, self._container.clock()), buffer.getvalue(), rows)
