"""Running `python -m bot …` as a real process from the end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path


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
