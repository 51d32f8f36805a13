"""The service behind the dashboard's delivery health."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from admin.ports.delivery import Health
from storage import audit, delivery_health
from storage.db import transaction
from storage.delivery_health import RetryOutcome

if TYPE_CHECKING:
    from bot.container import Container


class DeliveryDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def health(self, communities: Sequence[str] | None) -> Health:
        with transaction(self._container.sessions) as session:
            return Health(
                statuses=tuple(delivery_health.status_counts(session, communities)),
                deliveries=tuple(delivery_health.delivery_counts(session, communities)),
                failures=tuple(delivery_health.recent_failures(session, communities)),
            )

    def retry(self, outbox_id: int, communities: Sequence[str] | None, actor: str) -> RetryOutcome:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            outcome, failure = delivery_health.retry(session, outbox_id, communities, now)
            if failure is not None:
                audit.record(
                    session,
                    at=now,
                    actor=actor,
                    action="retry" if outcome == "queued" else "retry_refused",
                    subject=f"outbox:{outbox_id}",
                    community_id=failure.community_id,
                    detail={
                        "contact": failure.contact_code,
                        "outcome": outcome,
                        "error_code": failure.error_code,
                    },
                )
        return outcome
