"""Exporting data: the one use case the command line and the dashboard both call.

The anonymity mode is a required field of the request; an identifiable export needs a written
reason; every export is written to the audit log in the same transaction that read the rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from storage import audit
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultations import audience_of
from storage.db import transaction
from storage.exports.run import applicable, write_export
from storage.exports.spec import NEEDS_CONSULTATION, ExportError, ExportRequest

if TYPE_CHECKING:
    from bot.container import Container

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_REASON = 500


def check(request: ExportRequest) -> str | None:
    """The reason, tidied; ExportError when an identifiable export has none."""
    reason = " ".join((request.reason or "").split()) or None
    if request.mode == "identifiable" and reason is None:
        raise ExportError("an identifiable export needs a written reason")
    if reason is not None and len(reason) > MAX_REASON:
        raise ExportError(f"the reason is too long (at most {MAX_REASON} characters)")
    if request.dataset in NEEDS_CONSULTATION and request.filters.consultation is None:
        raise ExportError(f"the {request.dataset} export needs a consultation")
    return reason


def consultation_community(container: Container, consultation_id: str) -> str | None:
    """The community a consultation's audience is in (None: every community); ExportError if
    there is no such consultation."""
    with transaction(container.sessions) as session:
        row = session.get(ConsultationRow, consultation_id)
        if row is None:
            raise ExportError(f"no consultation with id {consultation_id!r}")
        return audience_of(row).community


def export(
    container: Container,
    request: ExportRequest,
    stream: BinaryIO,
    *,
    actor: str,
    progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Writes the export to `stream`, audits it, and returns how many rows it has."""
    reason = check(request)
    filters = applicable(request.dataset, request.filters)
    now = container.clock()
    with transaction(container.sessions) as session:
        rows = write_export(
            session,
            request.dataset,
            request.fmt,
            stream,
            mode=request.mode,
            filters=filters,
            timezone=container.settings.timezone,
            threshold=container.settings.small_cell_threshold,
            progress=progress,
        )
        communities = filters.communities or ()
        audit.record(
            session,
            at=now,
            actor=actor,
            action="export",
            subject=(
                f"consultation:{filters.consultation}"
                if filters.consultation
                else f"export:{request.dataset}"
            ),
            community_id=communities[0] if len(communities) == 1 else None,
            reason=reason,
            detail={
                "dataset": request.dataset,
                "format": request.fmt,
                "mode": request.mode,
                "filters": filters.as_audit(),
                "rows": rows,
            },
        )
    return rows


def filename(request: ExportRequest, now: datetime) -> str:
    """e.g. play-park-responses-20260310-1000.xlsx, or messages-20260310-1000.csv."""
    stamp = now.strftime("%Y%m%d-%H%M")
    prefix = f"{request.filters.consultation}-" if request.dataset in NEEDS_CONSULTATION else ""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"{prefix}{request.dataset}-{stamp}.{request.fmt}")
