"""The service behind the dashboard's consultations (authoring and launch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.container import Container


class ConsultationsDesk:
    def __init__(self, container: Container) -> None:
        self._container = container
