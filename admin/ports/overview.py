"""What the dashboard needs for the overview."""

from __future__ import annotations

from typing import Protocol


class OverviewPort(Protocol):
    """Implemented by bot/desks/overview.py."""
