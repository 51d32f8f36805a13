"""What the dashboard needs for consultation results and export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from storage.consultation_results import Results


@dataclass(frozen=True)
class Scope:
    """Where a consultation belongs: its audience's community, or None for every community."""

    consultation_id: str
    community_id: str | None


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes  # CSV, UTF-8 with a byte order mark
    rows: int


class ResultsPort(Protocol):
    """Implemented by bot/desks/results.py."""

    def scope(self, consultation_id: str) -> Scope | None:
        """The consultation's community, or None when there is no such consultation."""
        ...

    def results(self, consultation_id: str) -> Results:
        """Counts with small groups hidden, simulated parents left out (as the CLI shows)."""
        ...

    def export(self, consultation_id: str, actor: str, reason: str | None = None) -> Export:
        """A pseudonymous CSV of the answers, audited in the same transaction."""
        ...
