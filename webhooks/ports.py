"""What the webhooks need from the rest of the system, as small interfaces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from conversations.types import InboundMessage


class Unavailable(RuntimeError):
    """The database cannot be reached: answer 503 so the provider retries later."""


class ReceiptLike(Protocol):
    @property
    def outcome(self) -> StrEnum: ...


class InboundPort(Protocol):
    def receive(self, message: InboundMessage) -> ReceiptLike:
        """Store the message durably (a repeat is a no-op), then process it."""
        ...


class StatusPort(Protocol):
    def record_status(
        self, provider_message_id: str, status: str, error_code: str | None, at: datetime
    ) -> bool:
        """Record a delivery status; False when unknown or older than what is stored."""
        ...
