"""What the dashboard needs for delivery health."""

from __future__ import annotations

from typing import Protocol


class DeliveryPort(Protocol):
    """Implemented by bot/desks/delivery.py."""
