"""The soak's report: latency, errors, outbound, backlog and memory, then the pass/fail checks."""

from __future__ import annotations

import argparse
import os
import platform
import re
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.soak_load import Broadcasts
from benchmarks.soak_parents import Board, Traffic
from benchmarks.soak_watch import Reckoning, Samples, drift, percentiles

NUMBER = re.compile(r"\+4477009\d{5}|\b7[12]\d{7}\b")  # the soak's phone numbers and chat ids


def _ms(figures: tuple[float, float, float]) -> str:
    return "p50 {:,.0f} ms, p95 {:,.0f} ms, p99 {:,.0f} ms".format(*figures)


def report(
    args: argparse.Namespace,
    children: int,
    gathered: dict[str, Any],
    died: list[str],
    logs: Path,
) -> tuple[dict[str, Any], int]:
    """Print the report; returns (a JSON-able summary, the exit status)."""
    traffic: Traffic = gathered["traffic"]
    broadcasts: Broadcasts = gathered["broadcasts"]
    samples: Samples = gathered["samples"]
    reckoning: Reckoning = gathered["reckoning"]
    board: Board = gathered["board"]
    load_ended: float = gathered["load_ended"]
    warmup = min(60.0, load_ended / 4)
    window = min(60.0, max(1.0, (load_ended - warmup) / 2))

    posted = traffic.posted
    statuses = Counter(p.status for p in posted)
    errors = sum(n for status, n in statuses.items() if not 200 <= status < 300)
    server_errors = sum(n for status, n in statuses.items() if status >= 500 or status == 0)
    inbound = percentiles(p.seconds for p in posted)
    api_errors = sum(1 for b in broadcasts.sent if not 200 <= b.status < 300)

    def between(start: float, end: float) -> list[float]:
        return [p.seconds for p in posted if start <= p.at - samples.wall < end]

    early = percentiles(between(warmup, warmup + window))
    late = percentiles(between(load_ended - window, load_ended))
    replies: list[tuple[float, float]] = gathered["replies"]
    e2e = percentiles(seconds for _, seconds in replies)
    busy = [seconds for at, seconds in replies if _backlog_at(samples, at - samples.wall) > 100]
    idle = [seconds for at, seconds in replies if _backlog_at(samples, at - samples.wall) <= 100]
    methods = Counter(call[0] for call in board.calls)
    drifts = [
        drift(name, series, warmup, load_ended) for name, series in sorted(samples.rss.items())
    ]
    grown = [d.name for d in drifts if d.growth > args.memory_threshold]
    load = os.getloadavg()

    lines = [
        f"machine: {platform.node()}, nproc {os.cpu_count()}, Python {platform.python_version()};"
        f" load average now {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        f"processes: web x{args.webs}, worker x{args.workers}, clock x1; {args.households:,}"
        f" households ({children:,} children); {args.parents} parents at a time;"
        f" load {load_ended:.0f} s, drained by {gathered['drained']:.0f} s",
        f"inbound: {len(posted):,} webhooks from {traffic.parents} parents"
        f" ({len(posted) / load_ended:.1f}/s); {_ms(inbound)}; non-2xx {errors}"
        f" (5xx or no answer {server_errors}); statuses {dict(sorted(statuses.items()))}",
        f"  connections dropped mid-call, then retried like a provider:"
        f" {dict(Counter(traffic.dropped)) or 'none'}",
        f"  first window after warm-up ({warmup:.0f}-{warmup + window:.0f} s): {_ms(early)}",
        f"  last window ({load_ended - window:.0f}-{load_ended:.0f} s): {_ms(late)};"
        f" drift ratio p50 {late[0] / early[0] if early[0] else 0:.2f},"
        f" p95 {late[1] / early[1] if early[1] else 0:.2f}",
        _ceiling_line(gathered.get("ceiling"), inbound),
        f"reply, webhook to the fake provider: {_ms(e2e)} over {len(replies):,} replies;"
        f" {traffic.unanswered} webhooks saw no answer within 15 s",
        f"  while a broadcast drained (over 100 due): {_ms(percentiles(busy))} ({len(busy)});"
        f" otherwise: {_ms(percentiles(idle))} ({len(idle)})",
        "broadcasts: "
        + "; ".join(
            f"{b.what} {b.community} at {b.at:.0f} s: {b.status}, {b.seconds * 1000:,.0f} ms,"
            f" {b.messages:,} {'recipients' if b.what == 'consultation' else 'messages'}"
            for b in broadcasts.sent
        ),
        f"outbound: outbox {dict(sorted(reckoning.by_status.items()))};"
        f" fake received {dict(sorted(methods.items()))}",
        f"  sent vs queued: {reckoning.by_status.get('sent', 0):,} of"
        f" {sum(reckoning.by_status.values()):,} rows; provider ids matched"
        f" {reckoning.sent_rows:,} (missing {reckoning.missing}, extra {reckoning.extra});"
        f" acks {reckoning.acks_calls:,} for {reckoning.acks_rows:,} rows"
        f" (unmatched {reckoning.acks_unmatched}); stuck {reckoning.stuck};"
        f" failed {reckoning.failed}; rows tried more than once {reckoning.retried}",
        f"  waiting to retry (most at once, by reason): {dict(samples.retrying) or 'none'}",
        "backlog (due, unsent) every ~15 s: "
        + " ".join(f"{t:.0f}s:{due}" for t, due, _, _ in samples.backlog[:: _step(samples)]),
        f"memory (MB; early = {warmup:.0f}-{warmup + window:.0f} s, late = last {window:.0f} s"
        " of the load):",
        *(
            f"  {d.name:>8}: early {d.early:6.1f}, late {d.late:6.1f}, peak {d.peak:6.1f},"
            f" growth {d.growth:+.1%}, slope {d.slope:+.2f} MB/min"
            for d in drifts
        ),
    ]
    leaks = _log_problems(logs)
    checks = {
        "nothing lost or duplicated": reckoning.ok,
        "no 5xx and every webhook answered": server_errors == 0,
        "every broadcast accepted by the API": api_errors == 0,
        "no process died": not died,
        "no phone numbers or chat ids in the logs": leaks["numbers"] == 0,
        f"memory growth <= {args.memory_threshold:.0%}": not grown,
    }
    lines.append(f"logs: {leaks['tracebacks']} tracebacks; died: {died or 'none'}")
    lines += [f"check: {'ok  ' if ok else 'FAIL'} {name}" for name, ok in checks.items()]
    print("\n".join(lines))
    status = 0 if all(list(checks.values())[:-1]) else 1
    if status == 0 and grown:
        status = 2
    summary = {
        "checks": checks,
        "webhooks": len(posted),
        "non_2xx": errors,
        "server_errors": server_errors,
        "api_errors": api_errors,
        "unanswered": traffic.unanswered,
        "dropped": traffic.dropped,
        "inbound_ms": inbound,
        "reply_ms": e2e,
        "memory": {d.name: {"early": d.early, "late": d.late, "slope": d.slope} for d in drifts},
        "rss_series": samples.rss,  # (seconds, MB) per process: for a closer look at a slope
        "backlog_series": samples.backlog,
        "died": died,
    }
    return summary, status


def _ceiling_line(latencies: list[float] | None, ours: tuple[float, float, float]) -> str:
    if not latencies:
        return "  ceiling (bare INSERT): not measured (--ceiling-seconds 0)"
    base = percentiles(latencies)
    return (
        f"  ceiling (bare INSERT, same pace, after the soak): {_ms(base)} over"
        f" {len(latencies):,}; ours/ceiling p50 {ours[0] / base[0]:.1f}x, p95"
        f" {ours[1] / base[1]:.1f}x"
    )


def _backlog_at(samples: Samples, at: float) -> int:
    """Messages due and unsent at the last sample before `at` (seconds since the start)."""
    due = 0
    for t, waiting, _, _ in samples.backlog:
        if t > at:
            break
        due = waiting
    return due


def _step(samples: Samples) -> int:
    if len(samples.backlog) < 2:
        return 1
    every = samples.backlog[1][0] - samples.backlog[0][0]
    return max(1, round(15 / every)) if every > 0 else 1


def _log_problems(folder: Path) -> dict[str, int]:
    found = {"numbers": 0, "tracebacks": 0}
    for log in folder.glob("*.log"):
        content = log.read_text(errors="replace")
        found["numbers"] += len(NUMBER.findall(content))
        found["tracebacks"] += content.count("Traceback")
    return found
