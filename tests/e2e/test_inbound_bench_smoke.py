"""The inbound benchmark in miniature: its five servers run and its comparison stays like for like.

`benchmarks/inbound.py` checks that the replying plain bot made every Bot API call of the
onboarding, and that our worker, running beside the web app, sent exactly as many: no reply
lost, none sent twice. So this run fails if our onboarding's replies and the plain bot's drift
apart, or if a reply is lost or doubled on its way out. Rates are the benchmark's business
(benchmarks/RESULTS.md), not this test's.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_inbound_benchmark_compares_like_with_like_on_sqlite() -> None:
    command = [sys.executable, str(ROOT / "benchmarks" / "inbound.py"), "--chats", "4"]
    command += ["--concurrency", "4"]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]

    rates = dict(re.findall(r"^\s*([a-z +]+):\s+([\d,]+) updates/s", run.stdout, re.MULTILINE))
    assert set(rates) == {"ceiling", "plain bot", "silent bot", "ours", "ours + worker"}, run.stdout
    assert all(int(rate.replace(",", "")) > 0 for rate in rates.values())
    assert re.search(r"every reply sent [\d.]+ s after the last webhook answered", run.stdout)
    assert "ours / plain bot:" in run.stdout
