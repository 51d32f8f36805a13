"""What the dashboard needs for exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol

from storage.exports.spec import ExportRequest


@dataclass(frozen=True)
class ExportChoice:
    """A consultation that can be exported, and the community its audience is in."""

    consultation_id: str
    title: str
    community_id: str | None  # None: every community (admins only)


@dataclass(frozen=True)
class ExportFile:
    filename: str
    media_type: str
    content: IO[bytes]  # at its start; the caller closes it
    rows: int


@dataclass(frozen=True)
class ExportRecord:
    """One audited export, as the admins' list shows it."""

    at: datetime
    actor: str
    dataset: str
    fmt: str
    mode: str
    filters: str  # key=value, comma-separated
    reason: str | None
    rows: int | None


class ExportsPort(Protocol):
    """Implemented by bot/desks/exports.py."""

    def consultations(self) -> list[ExportChoice]:
        """Every launched consultation, newest first."""
        ...

    def recent(self, limit: int = 50) -> list[ExportRecord]:
        """The newest audited exports first."""
        ...

    def export(self, request: ExportRequest, actor: str) -> ExportFile:
        """The file, written through the one export function and audited (ExportError when
        the request is refused)."""
        ...
