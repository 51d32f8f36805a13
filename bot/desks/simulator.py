"""The service behind the dashboard's the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.container import Container


class SimulatorDesk:
    def __init__(self, container: Container) -> None:
        self._container = container
