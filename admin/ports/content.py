"""What the dashboard needs for the tip library."""

from __future__ import annotations

from typing import Protocol


class ContentPort(Protocol):
    """Implemented by bot/desks/content.py."""
