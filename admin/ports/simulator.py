"""What the dashboard needs for the simulator."""

from __future__ import annotations

from typing import Protocol


class SimulatorPort(Protocol):
    """Implemented by bot/desks/simulator.py."""
