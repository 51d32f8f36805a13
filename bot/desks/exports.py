"""The service behind the dashboard's exports page: the same use case as `python -m bot export`."""

from __future__ import annotations

import tempfile
from typing import TYPE_CHECKING

from sqlalchemy import select

from admin.ports.exports import ExportChoice, ExportFile
from bot.exports import MEDIA_TYPES, export, filename
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
