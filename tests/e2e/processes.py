"""Running `python -m bot …` as a real process from the end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def run_bot(
    cwd: Path, env: dict[str, str], *args: str, stdin: str | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """One CLI command to completion, output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    """`python -m bot <command>` as a real process, with its own log."""

    def __init__(
        self, tmp_path: Path, env: dict[str, str], command: str = "serve", port: int | None = None
    ) -> None:
        self.port = port or free_port()
        self.env = env
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{command}-{self.port}.log"
        self.log = self.log_path.open("wb")
        args = [sys.executable, "-m", "bot", command]
        if command == "serve":
            args += ["--port", str(self.port)]
        elif command == "web":
            args += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            args, cwd=tmp_path, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_healthy(self) -> None:
        for _ in range(200):
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                pytest.fail(f"process exited:\n{self.log_path.read_text()}")
            time.sleep(0.1)
        pytest.fail(f"never healthy:\n{self.log_path.read_text()}")

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # stuck (a request waiting on a lock): no orphan
                self.process.kill()
                self.process.wait(timeout=30)
        self.log.close()


def served_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for a served process: no real provider settings, quiet hours off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.pop("PUBLIC_BASE_URL", None)
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="e2e-secret-not-real",
        LOG_LEVEL="INFO",
        QUIET_HOURS="23:59-00:00",
        **extra,
    )
    return env
