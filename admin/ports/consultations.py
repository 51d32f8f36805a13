"""What the dashboard needs for consultations (authoring and launch)."""

from __future__ import annotations

from typing import Protocol


class ConsultationsPort(Protocol):
    """Implemented by bot/desks/consultations.py."""
