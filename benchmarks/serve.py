"""Run an ASGI app under a real uvicorn in a child process on 127.0.0.1, for benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PIDS: dict[str, int] = {}  # origin -> the uvicorn child serving it


def cpu_seconds(origin: str) -> float:
    """User + system CPU the child serving `origin` has used so far (Linux /proc)."""
    return process_cpu_seconds(PIDS[origin])


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn(target: str, env: dict[str, str] | None = None, factory: bool = False) -> Iterator[str]:
    """`target` ("module:app") served by uvicorn in a child process; yields its origin."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    if factory:
        command.append("--factory")
    child = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **(env or {})})
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(origin + "/", timeout=1)
                break
            except httpx.TransportError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn {target} did not start") from None
                time.sleep(0.2)
        PIDS[origin] = child.pid
        yield origin
    finally:
        PIDS.pop(origin, None)
        child.terminate()
        child.wait(timeout=30)
