"""What the dashboard needs for consultation results and export."""

from __future__ import annotations

from typing import Protocol


class ResultsPort(Protocol):
    """Implemented by bot/desks/results.py."""
