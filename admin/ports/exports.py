"""What the dashboard needs for exports."""

from __future__ import annotations

from dataclasses import dataclass
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


class ExportsPort(Protocol):
    """Implemented by bot/desks/exports.py."""

    def consultations(self) -> list[ExportChoice]:
        """Every launched consultation, newest first."""
        ...

    def export(self, request: ExportRequest, actor: str) -> ExportFile:
        """The file, written through the one export function and audited (ExportError when
        the request is refused)."""
        ...
