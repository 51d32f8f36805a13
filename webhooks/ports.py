"""What the webhooks need from the rest of the system, as small interfaces."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from starlette.concurrency import run_in_threadpool

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


class AsyncInboundPort(Protocol):
    """What the webhooks call: `InboundPort`, awaited (bot.group_commit.GroupCommit)."""

    async def receive(self, message: InboundMessage) -> ReceiptLike: ...


class InThread:
    """A blocking `InboundPort`, called in a worker thread so the event loop never waits."""

    def __init__(self, port: InboundPort) -> None:
        self.port = port

    async def receive(self, message: InboundMessage) -> ReceiptLike:
        return await run_in_threadpool(self.port.receive, message)


class StatusPort(Protocol):
    def record_status(
        self, provider_message_id: str, status: str, error_code: str | None, at: datetime
    ) -> bool:
        """Record a delivery status; False when unknown or older than what is stored."""
        ...
