"""What the dashboard needs for events."""

from __future__ import annotations

from typing import Protocol


class EventsPort(Protocol):
    """Implemented by bot/desks/events.py."""
