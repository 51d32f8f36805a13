"""The soak in quick mode: real web, worker and clock processes on PostgreSQL lose nothing.

Runs `benchmarks/soak.py --minutes 0.3` (a few hundred webhooks, four broadcasts) and checks
what it reckoned: every message the outbox holds as sent reached the fake provider exactly
once, every button press was acknowledged once, nothing due was left behind, no webhook got a
5xx, no process died and no phone number reached a log. Timings and memory are the
benchmark's business (benchmarks/RESULTS.md), not this test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_soak_sends_every_message_once_with_no_server_errors(
    tmp_path: Path, postgres_url: str
) -> None:
    summary_path = tmp_path / "soak.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "soak.py")]
    command += ["--database-url", postgres_url, "--minutes", "0.3", "--households", "100"]
    command += ["--parents", "6", "--broadcast-every", "5", "--clock-every", "5"]
    command += ["--memory-threshold", "100", "--ceiling-seconds", "0", "--json", str(summary_path)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    summary = json.loads(summary_path.read_text())
    assert all(summary["checks"].values()), summary["checks"]
    reckoning = summary["reckoning"]
    assert reckoning["missing"] == reckoning["extra"] == reckoning["stuck"] == 0
    assert reckoning["failed"] == reckoning["acks_unmatched"] == 0
    assert reckoning["acks_rows"] > 0  # Telegram parents pressed buttons
    # The households' broadcasts and the parents' replies, all sent: more rows than households.
    assert reckoning["sent_rows"] > 100
    # STOP may cancel a parent's queued broadcast; nothing else but sent.
    assert set(reckoning["by_status"]) <= {"sent", "cancelled"}, reckoning["by_status"]
    assert summary["webhooks"] > 0 and summary["server_errors"] == 0 and not summary["died"]
