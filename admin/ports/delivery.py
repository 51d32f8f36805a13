"""What the dashboard needs for delivery health."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.delivery_health import Failure, RetryOutcome


@dataclass(frozen=True)
class Health:
    """Outbox counts per channel and recent failures, in the communities asked for."""

    statuses: tuple[tuple[str, str, int], ...]  # (channel, status, messages)
    deliveries: tuple[tuple[str, str, int], ...]  # (channel, provider's status, messages)
    failures: tuple[Failure, ...]


class DeliveryPort(Protocol):
    """Implemented by bot/desks/delivery.py. `communities` None means every community."""

    def health(self, communities: Sequence[str] | None) -> Health: ...

    def retry(self, outbox_id: int, communities: Sequence[str] | None, actor: str) -> RetryOutcome:
        """Queue a failed message again (audited), or say why not."""
        ...
