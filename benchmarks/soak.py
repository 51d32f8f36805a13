"""Load and soak: real `python -m bot` web, worker and clock processes on PostgreSQL under a
bounded mix of inbound traffic and broadcasts, against a recording fake provider on 127.0.0.1.

    .venv/bin/python benchmarks/soak.py --database-url postgresql+psycopg://…/bench_soak
        [--minutes 3] [--households 1000] [--parents 24] [--webs 2] [--workers 2]
        [--broadcast-every 30] [--memory-threshold 0.2] [--json out.json]

The database is emptied and `--households` Feltham households seeded (benchmarks/households.py).
Parents onboard in Margate over Telegram webhooks and signed Twilio SMS webhooks, then send
keywords, answers and nonsense, each waiting for the bot's answer (soak_parents.py); every
`--broadcast-every` seconds the JSON API launches a consultation or announces an event, in
Feltham (the households) or Margate (the parents). RSS of every process and the outbox backlog
are sampled every `--sample-every` seconds. After the load, the outbox is drained and each
provider id and button acknowledgement the fake received is matched to exactly one sent row.

Baseline in the same run: the first window after warm-up against the last (drift ratios of
latency and memory). Exit status: 0 all well; 1 something lost, duplicated, failed or a 5xx;
2 a process's memory grew more than `--memory-threshold` between those windows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import httpx
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.serve import free_port, uvicorn  # noqa: E402
from benchmarks.soak_ceiling import ceiling  # noqa: E402
from benchmarks.soak_load import Broadcasts, prepare  # noqa: E402
from benchmarks.soak_parents import (  # noqa: E402
    BOT_NUMBER,
    TELEGRAM_SECRET,
    TWILIO_AUTH,
    TWILIO_SID,
    Board,
    Traffic,
)
from benchmarks.soak_report import report  # noqa: E402
from benchmarks.soak_watch import Samples, reckon, reply_latencies  # noqa: E402

TOKEN = "123456:SOAK-not-a-real-token"


def environment(args: argparse.Namespace, url: str, fake: str, public: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="soak-secret-not-real",
        LOG_LEVEL="INFO",
        QUIET_HOURS="04:00-04:01",  # a window the run never meets: proactive sends not held
        PUBLIC_BASE_URL=public,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=fake,
        TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        TWILIO_ACCOUNT_SID=TWILIO_SID,
        TWILIO_AUTH_TOKEN=TWILIO_AUTH,
        TWILIO_FROM_NUMBER=BOT_NUMBER,
        TWILIO_API_BASE_URL=fake,
        TELEGRAM_RATE=str(args.telegram_rate),
        TWILIO_MPS=str(args.sms_rate),
        CLOCK_INTERVAL_SECONDS=str(args.clock_every),
    )
    return env


class Processes:
    """The bot's processes, each with its own log file in `folder`."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env = folder, env
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.children[name] = subprocess.Popen(
            [sys.executable, "-m", "bot", *args],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, name: str, origin: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{origin}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.children[name].poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"{name} never became healthy; see {self.folder / name}.log")

    def wait_logged(self, name: str, words: str, settle: float = 3.0) -> None:
        """Until `words` appear in the process's log, then `settle` seconds more."""
        deadline = time.monotonic() + 180
        log = self.folder / f"{name}.log"
        while words not in log.read_text(errors="replace"):
            if self.children[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} never started; see {log}")
            time.sleep(0.2)
        time.sleep(settle)

    def pids(self) -> dict[str, int]:
        return {name: child.pid for name, child in self.children.items()}

    def exited(self) -> list[str]:
        return [name for name, child in self.children.items() if child.poll() is not None]

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        for child in self.children.values():
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()


async def soak(
    args: argparse.Namespace, fake: str, webs: list[str], api_token: str, pids: dict[str, int]
) -> dict[str, object]:
    """Drive the load, drain the outbox, and gather what the report needs."""
    engine = create_engine(args.database_url, pool_size=2)
    board = Board()
    samples = Samples()
    traffic = Traffic(webs=webs, public=webs[0], board=board, seed=args.seed)
    broadcasts = Broadcasts(webs, api_token, args.broadcast_every)
    stop_following, stop_sampling, stop_load = asyncio.Event(), asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(board.follow(fake, stop_following)),
        asyncio.create_task(samples.run(pids, engine, stop_sampling, args.sample_every)),
        asyncio.create_task(broadcasts.run(stop_load)),
    ]
    load_seconds = args.minutes * 60
    await traffic.run(args.parents, time.monotonic() + load_seconds)
    stop_load.set()
    await tasks[2]
    load_ended = time.monotonic() - samples.started
    ended_at = time.time()
    drain_deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < drain_deadline:
        await asyncio.sleep(1)
        samples.take(pids, engine)
        if samples.backlog[-1][1] == 0:
            break
    drained = time.monotonic() - samples.started
    await asyncio.sleep(3)  # a duplicate send would arrive now
    stop_sampling.set()
    await tasks[1]
    stop_following.set()
    await tasks[0]
    reckoning = reckon(engine, board.calls, ended_at)
    replies = reply_latencies(engine, traffic.posted, board.calls, board.query_chat)
    engine.dispose()
    return {
        "traffic": traffic,
        "broadcasts": broadcasts,
        "samples": samples,
        "reckoning": reckoning,
        "load_ended": load_ended,
        "drained": drained,
        "board": board,
        "replies": replies,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL; it is emptied")
    parser.add_argument("--minutes", type=float, default=3.0, help="how long the load runs")
    parser.add_argument("--households", type=int, default=1000, help="seeded, in Feltham")
    parser.add_argument("--parents", type=int, default=24, help="parents talking at once")
    parser.add_argument("--webs", type=int, default=2, help="`python -m bot web` processes")
    parser.add_argument("--workers", type=int, default=2, help="`python -m bot worker` processes")
    parser.add_argument("--broadcast-every", type=float, default=30.0, help="seconds")
    parser.add_argument("--clock-every", type=int, default=15, help="CLOCK_INTERVAL_SECONDS")
    parser.add_argument("--telegram-rate", type=float, default=100.0, help="TELEGRAM_RATE")
    parser.add_argument("--sms-rate", type=float, default=30.0, help="TWILIO_MPS")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds")
    parser.add_argument("--memory-threshold", type=float, default=0.20, help="growth allowed")
    parser.add_argument(
        "--ceiling-seconds", type=float, default=20.0, help="the bare-INSERT baseline; 0: none"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write the summary here as well")
    parser.add_argument("--keep-logs", action="store_true", help="print the log folder")
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        parser.error("the soak runs on PostgreSQL (several workers claim with SKIP LOCKED)")

    seeded = prepare(args.database_url, args.households)
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    ports = [free_port() for _ in range(args.webs)]
    webs = [f"http://127.0.0.1:{port}" for port in ports]
    with uvicorn("benchmarks.soak_fake:app") as fake:
        processes = Processes(folder, environment(args, args.database_url, fake, webs[0]))
        try:
            for n, port in enumerate(ports):
                processes.start(f"web{n + 1}", "web", "--host", "127.0.0.1", "--port", str(port))
            for n in range(args.workers):
                processes.start(f"worker{n + 1}", "worker")
            processes.start("clock", "clock")
            for n, web in enumerate(webs):
                processes.wait_healthy(f"web{n + 1}", web)
            for n in range(args.workers):  # migrated: the dispatcher loop starts next
                processes.wait_logged(f"worker{n + 1}", "Will assume transactional DDL")
            processes.wait_logged("clock", "clock: leading", settle=0)
            gathered = asyncio.run(soak(args, fake, webs, seeded.api_token, processes.pids()))
            died = processes.exited()
        finally:
            processes.stop()
    if args.ceiling_seconds > 0:
        think = Traffic(webs=[], public="", board=Board()).think
        gathered["ceiling"] = ceiling(args.database_url, args.parents, args.ceiling_seconds, think)
    reckoning = gathered["reckoning"]
    summary, status = report(args, seeded.children, gathered, died, folder)
    if args.json:
        args.json.write_text(
            json.dumps({**summary, "reckoning": asdict(reckoning)}, indent=2, default=str)  # type: ignore[call-overload]
        )
    if args.keep_logs:
        print(f"logs: {folder}")
    return status


if __name__ == "__main__":
    sys.exit(main())
