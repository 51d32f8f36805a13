"""Group commit: webhooks that arrive together are received in one transaction.

Under load most of an update's cost is its transaction (a connection, BEGIN, a lookup, the
COMMIT and its flush to disk), not its own work. So each webhook thread queues its message;
when no batch is running, the thread becomes the leader, takes every message queued so far
(up to `most`) and receives them all with `InboundService.receive_many`, then hands each
thread its receipt. Messages that arrive meanwhile wait for the next batch, which the first of
them leads. No thread of its own and no timer: a message that arrives alone is received at
once, in a batch of one, exactly as before.

Every webhook still answers only after the commit that keeps its message.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from bot.inbound import Receipt
from conversations.types import InboundMessage

log = logging.getLogger(__name__)


class BatchReceiver(Protocol):
    def receive(self, message: InboundMessage, simulated: bool = False) -> Receipt: ...

    def receive_many(self, messages: list[InboundMessage]) -> list[Receipt]: ...


@dataclass(eq=False, slots=True)
class _Waiting:
    message: InboundMessage
    ready: threading.Event = field(default_factory=threading.Event)
    receipt: Receipt | None = None
    error: BaseException | None = None
    batch: list[_Waiting] | None = None  # set when woken to lead this batch, not with a receipt


class GroupCommit:
    """The inbound port for webhooks, batching concurrent messages into one transaction each.

    `batches`: how many batches may run at once, each on its own connection. One is best on
    both databases: on SQLite a second would wait for the one writer, and on PostgreSQL two
    made each batch half as big and every update a quarter dearer (benchmarks/RESULTS.md).
    """

    def __init__(self, service: BatchReceiver, most: int = 32, batches: int = 1) -> None:
        self.service = service
        self.most = most
        self.batches = batches
        self._lock = threading.Lock()
        self._queue: deque[_Waiting] = deque()
        self._running = 0

    @property
    def queued(self) -> int:
        """Messages waiting for the next batch."""
        return len(self._queue)

    def receive(self, message: InboundMessage, simulated: bool = False) -> Receipt:
        if simulated:  # the dashboard's simulator: rare, and creates its contact flagged
            return self.service.receive(message, simulated=True)
        waiting = _Waiting(message)
        with self._lock:
            self._queue.append(waiting)
            # Messages queue only while every batch is running, so a new leader's queue
            # holds its own message alone.
            if self._running < self.batches:
                self._running += 1
                waiting.batch = self._take()
        if waiting.batch is None:
            waiting.ready.wait()
        if waiting.batch is not None:
            self._lead(waiting.batch)
        if waiting.error is not None:
            raise waiting.error
        assert waiting.receipt is not None
        return waiting.receipt

    def _receive_alone(self, waiting: _Waiting) -> None:
        try:
            waiting.receipt = self.service.receive(waiting.message)
        except Exception as error:  # the database is down: this webhook answers 503
            waiting.error = error

    def _take(self) -> list[_Waiting]:
        return [self._queue.popleft() for _ in range(min(self.most, len(self._queue)))]

    def _lead(self, batch: list[_Waiting]) -> None:
        """Receive `batch` (this thread's message first), then start the next one."""
        try:
            if len(batch) == 1:  # alone: received exactly as without batching
                self._receive_alone(batch[0])
                return
            try:
                receipts = self.service.receive_many([waiting.message for waiting in batch])
                for waiting, receipt in zip(batch, receipts, strict=True):
                    waiting.receipt = receipt
            except Exception as error:
                # Nothing of the batch was kept. One at a time, a bug fails only its own
                # message (kept for the sweeper), and the database's errors only their own.
                log.warning(
                    "a batch of %d failed (%s): one at a time", len(batch), type(error).__name__
                )
                for waiting in batch:
                    self._receive_alone(waiting)
        except BaseException as error:  # interrupted: no webhook of the batch may hang
            for waiting in batch:
                if waiting.receipt is None and waiting.error is None:
                    waiting.error = error
            raise
        finally:
            with self._lock:
                if self._queue:  # what queued meanwhile, led by the first of it
                    following = self._take()
                    following[0].batch = following
                    following[0].ready.set()
                else:
                    self._running -= 1
            for waiting in batch[1:]:
                waiting.ready.set()


