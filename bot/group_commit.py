"""Group commit: webhooks that arrive together are received in one transaction.

Under load much of an update's cost is its transaction (a connection, BEGIN, the lookups, the
COMMIT and its flush to disk), not its own work. So a webhook queues its message and waits on
the event loop; when no batch is being received, a batch of everything queued (up to `most`)
is received in a worker thread with `InboundService.receive_many`, and each webhook is handed
its receipt. Messages that arrive meanwhile make the next batch. No timer: a message that
arrives alone is received at once, on its own, exactly as before.

Every webhook still answers only after the commit that keeps its message.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from bot.inbound import Receipt
from conversations.types import InboundMessage

log = logging.getLogger(__name__)


class BatchReceiver(Protocol):
    def receive(self, message: InboundMessage, simulated: bool = False) -> Receipt: ...

    def receive_many(self, messages: list[InboundMessage]) -> list[Receipt]: ...


class GroupCommit:
    """The webhooks' inbound port, batching concurrent messages into one transaction each.

    `batches`: how many batches may be received at once, each in a thread and on a connection
    of its own. One is best on both databases here: on SQLite a second would wait for the one
    writer, and on PostgreSQL two made each batch half as big and every update a quarter dearer
    (benchmarks/RESULTS.md).
    """

    def __init__(self, service: BatchReceiver, most: int = 32, batches: int = 1) -> None:
        self.service = service
        self.most = most
        self.batches = batches
        self._queue: deque[tuple[InboundMessage, asyncio.Future[Receipt]]] = deque()
        self._draining = 0
        self._tasks: set[asyncio.Task[None]] = set()  # held, so none is collected mid-batch

    @property
    def queued(self) -> int:
        """Messages waiting for the next batch."""
        return len(self._queue)

    async def receive(self, message: InboundMessage) -> Receipt:
        """Store the message durably (a repeat is a no-op), then process it."""
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._queue.append((message, future))
        if self._draining < self.batches:
            self._draining += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        """Receive batches until none is queued."""
        batch: list[tuple[InboundMessage, asyncio.Future[Receipt]]] = []
        try:
            # The queue is checked and the count lowered in one step of the event loop, so a
            # message queued after the last check always finds a batch to start.
            while self._queue:
                batch = [self._queue.popleft() for _ in range(min(self.most, len(self._queue)))]
                outcomes = await run_in_threadpool(self._receive, [m for m, _ in batch])
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # its webhook went away; the message is received anyway
                        continue
                    if isinstance(outcome, Exception):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
                batch = []
        except BaseException:  # cancelled at shutdown: no webhook of the batch may hang
            for _, future in batch:
                future.cancel()
            raise
        finally:
            self._draining -= 1

    def _receive(self, messages: list[InboundMessage]) -> list[Receipt | Exception]:
        """In a worker thread: the batch in one transaction, or one by one after a failure."""
        if len(messages) == 1:  # alone: received exactly as without batching
            return [self._receive_alone(messages[0])]
        try:
            return list(self.service.receive_many(messages))
        except Exception as error:
            # Nothing of the batch was kept. One at a time, a bug fails only its own message
            # (kept for the sweeper), and the database's errors only their own.
            log.warning(
                "a batch of %d failed (%s): one at a time", len(messages), type(error).__name__
            )
            return [self._receive_alone(message) for message in messages]

    def _receive_alone(self, message: InboundMessage) -> Receipt | Exception:
        try:
            return self.service.receive(message)
        except Exception as error:  # the database is down: this webhook answers 503
            return error
