"""The soak's instruments: memory and outbox backlog sampled over time, and the final reckoning
of what the fake provider received against the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB (VmRSS from /proc), None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


BACKLOG = text(
    "SELECT count(*) FILTER (WHERE status IN ('queued', 'sending') AND not_before <= now()),"
    " count(*) FILTER (WHERE status = 'sent'), count(*) FROM outbox"
)


RETRYING = text(
    "SELECT coalesce(error_code, '') || ': ' || coalesce(error_detail, ''), count(*) FROM outbox"
    " WHERE status = 'queued' AND attempts > 0 GROUP BY 1"
)


@dataclass
class Samples:
    """RSS per process and the outbox backlog, each as (seconds since start, value)."""

    started: float = field(default_factory=time.monotonic)
    wall: float = field(default_factory=time.time)  # the same instant, for webhook times
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    backlog: list[tuple[float, int, int, int]] = field(default_factory=list)  # due, sent, all
    retrying: Counter[str] = field(default_factory=Counter)  # most seen waiting, per reason

    async def run(
        self, pids: dict[str, int], engine: Engine, stop: asyncio.Event, every: float
    ) -> None:
        while not stop.is_set():
            self.take(pids, engine)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    def take(self, pids: dict[str, int], engine: Engine) -> None:
        at = time.monotonic() - self.started
        for name, pid in pids.items():
            value = rss_mb(pid)
            if value is not None:
                self.rss.setdefault(name, []).append((at, value))
        with engine.connect() as connection:
            due, sent, total = connection.execute(BACKLOG).one()
            for reason, count in connection.execute(RETRYING):
                key = str(reason)[:120]
                self.retrying[key] = max(self.retrying[key], int(count))
        self.backlog.append((at, int(due), int(sent), int(total)))


@dataclass(frozen=True)
class Drift:
    """A process's memory: early (after warm-up) and late window means, growth and slope."""

    name: str
    early: float
    late: float
    peak: float
    slope: float  # MB per minute over the samples after warm-up

    @property
    def growth(self) -> float:
        return self.late / self.early - 1 if self.early else 0.0


def drift(name: str, series: Sequence[tuple[float, float]], warmup: float, end: float) -> Drift:
    """Compare the first window after warm-up with the last; window = min(60 s, half the rest)."""
    window = min(60.0, max(1.0, (end - warmup) / 2))
    after = [(t, v) for t, v in series if t >= warmup] or list(series)
    early = [v for t, v in after if t <= warmup + window] or [after[0][1]]
    late = [v for t, v in after if t >= end - window] or [after[-1][1]]
    slope = 0.0
    if len(after) >= 2 and len({t for t, _ in after}) >= 2:
        slope = statistics.linear_regression([t for t, _ in after], [v for _, v in after])[0] * 60
    peak = max(v for _, v in series)
    return Drift(name, statistics.fmean(early), statistics.fmean(late), peak, slope)


def percentiles(values: Iterable[float]) -> tuple[float, float, float]:
    """p50, p95, p99 in milliseconds of values in seconds."""
    ordered = sorted(values)
    if not ordered:
        return 0.0, 0.0, 0.0
    if len(ordered) == 1:
        return (ordered[0] * 1000,) * 3
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000


@dataclass
class Reckoning:
    """Every queued message sent exactly once: the fake's calls against the outbox rows."""

    sent_rows: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    missing: int = 0  # outbox says sent with an id the fake never issued
    extra: int = 0  # the fake issued an id no sent row holds: a duplicate or stray send
    acks_rows: int = 0
    acks_calls: int = 0
    acks_unmatched: int = 0
    stuck: int = 0  # due before the end, yet still queued or sending
    retried: int = 0  # rows sent more than once (attempts > 1): retries, not duplicates
    failed: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.acks_unmatched or self.stuck or self.failed)


def reckon(engine: Engine, calls: list[list[Any]], ended_at: float) -> Reckoning:
    """Match each provider id and button acknowledgement to exactly one outbox row."""
    issued = Counter(str(c[3]) for c in calls if c[3] is not None)
    queries = Counter(str(c[1]) for c in calls if c[0] == "answerCallbackQuery")
    with engine.connect() as connection:
        statuses: dict[str, int] = {
            str(status): int(count)
            for status, count in connection.execute(
                text("SELECT status, count(*) FROM outbox GROUP BY status")
            )
        }
        ids = Counter(
            connection.scalars(
                text(
                    "SELECT provider_message_id FROM outbox"
                    " WHERE status = 'sent' AND provider_message_id IS NOT NULL"
                )
            ).all()
        )
        acks = Counter(
            connection.scalars(
                text(
                    "SELECT message->>'query_id' FROM outbox"
                    " WHERE status = 'sent' AND message->>'query_id' IS NOT NULL"
                )
            ).all()
        )
        retried = connection.scalar(text("SELECT count(*) FROM outbox WHERE attempts > 1"))
        stuck = connection.scalar(
            text(
                "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"
                " AND not_before <= to_timestamp(:ended)"
            ),
            {"ended": ended_at},
        )
    return Reckoning(
        sent_rows=sum(ids.values()),
        by_status=statuses,
        missing=sum((ids - issued).values()),
        extra=sum((issued - ids).values()),
        acks_rows=sum(acks.values()),
        acks_calls=sum(queries.values()),
        acks_unmatched=sum(((acks - queries) + (queries - acks)).values()),
        stuck=int(stuck or 0),
        retried=int(retried or 0),
        failed=int(statuses.get("failed", 0)),
    )


def reply_latencies(
    engine: Engine,
    posted: Sequence[Any],
    calls: list[list[Any]],
    query_chat: dict[str, str],
) -> list[tuple[float, float]]:
    """Per webhook, (when it was sent, seconds until the first reply reached the fake).

    A reply is a button acknowledgement or a message whose outbox row is a reply (not a
    broadcast), counted only until that parent's next webhook.
    """
    with engine.connect() as connection:
        replies = set(
            connection.scalars(
                text(
                    "SELECT provider_message_id FROM outbox WHERE kind = 'reply'"
                    " AND provider_message_id IS NOT NULL"
                )
            ).all()
        )
    arrivals: dict[str, list[float]] = {}
    for _method, key, at, issued in calls:
        if issued is None or str(issued) in replies:
            arrivals.setdefault(query_chat.get(key, key), []).append(at)
    mine: dict[str, list[float]] = {}
    for post in posted:
        mine.setdefault(post.address, []).append(post.at)
    latencies: list[tuple[float, float]] = []
    for address, times in mine.items():
        seen = sorted(arrivals.get(address, []))
        for n, at in enumerate(times):
            until = times[n + 1] if n + 1 < len(times) else float("inf")
            first = next((a for a in seen if at <= a < until), None)
            if first is not None:
                latencies.append((at, first - at))
    return latencies
