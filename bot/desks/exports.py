"""The service behind the dashboard's exports page: the same use case as `python -m bot export`."""

from __future__ import annotations

import tempfile
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from admin.ports.exports import ExportChoice, ExportFile, ExportRecord
from bot.exports import MEDIA_TYPES, export, filename
from storage import audit
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultations import audience_of
from storage.db import transaction
from storage.exports.spec import ExportRequest

if TYPE_CHECKING:
    from bot.container import Container

IN_MEMORY = 8 * 1024 * 1024  # bytes kept in memory before the file spills to disk


class ExportsDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def consultations(self) -> list[ExportChoice]:
        with transaction(self._container.sessions) as session:
            rows = session.scalars(
                select(ConsultationRow)
                .where(ConsultationRow.status != "draft")
                .order_by(ConsultationRow.launch_at.desc(), ConsultationRow.id)
            ).all()
            return [
                ExportChoice(
                    row.id,
                    str(row.definition.get("title", {}).get("en") or row.id),
                    audience_of(row).community,
                )
                for row in rows
            ]

    def recent(self, limit: int = 50) -> list[ExportRecord]:
        with transaction(self._container.sessions) as session:
            entries = audit.recent(session, limit=limit, action="export")
            return [_record(e.at, e.actor, e.reason, e.detail or {}) for e in entries]

    def export(self, request: ExportRequest, actor: str) -> ExportFile:
        spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 (the caller closes it)
        try:
            rows = export(self._container, request, spool, actor=actor)  # type: ignore[arg-type]
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        name = filename(request, self._container.clock())
        return ExportFile(name, MEDIA_TYPES[request.fmt], spool, rows)


def _record(at: datetime, actor: str, reason: str | None, detail: dict[str, Any]) -> ExportRecord:
    filters = detail.get("filters") or {}
    shown = ", ".join(
        f"{key}={','.join(value) if isinstance(value, list) else value}"
        for key, value in filters.items()
    )
    return ExportRecord(
        at=at,
        actor=actor,
        dataset=str(detail.get("dataset", "responses")),
        fmt=str(detail.get("format", "csv")),
        mode=str(detail.get("mode", "pseudonymised")),
        filters=shown,
        reason=reason,
        rows=detail.get("rows"),
    )
