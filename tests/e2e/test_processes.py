"""Whole processes: `python -m bot serve`, `chat` and the CLI's error handling."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.processes import free_port, run_bot

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TWILIO_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="e2e-secret-not-real",
        PUBLIC_BASE_URL="",
        LOG_LEVEL="WARNING",
        **extra,
    )
    env.pop("PUBLIC_BASE_URL")
    return env


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path, database_url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail(f"serve exited early:\n{(tmp_path / 'serve.log').read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_serve_answers_healthz_and_the_privacy_notice(served: str) -> None:
    health = httpx.get(f"{served}/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": True}
    notice = httpx.get(f"{served}/privacy")
    assert notice.status_code == 200
    assert "Privacy notice" in notice.text and "Hysbysiad preifatrwydd" in notice.text


def test_serve_on_a_fresh_directory_creates_the_sqlite_database(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path, "sqlite:///./elc.db"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(150):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        assert (tmp_path / "elc.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=20)


def _chat(tmp_path: Path, database_url: str, lines: list[str], *args: str) -> str:
    env = _env(tmp_path, database_url)
    result = run_bot(tmp_path, env, "chat", *args, stdin="\n".join(lines) + "\n", check=True)
    return result.stdout


def test_chat_over_sms_shows_numbered_options(tmp_path: Path, database_url: str) -> None:
    out = _chat(tmp_path, database_url, ["Hi", "2", "1"], "--channel", "sms")
    assert "1 Cymraeg\n2 English" in out
    assert "1 Yes, I agree\n2 No thanks" in out
    assert "Is this a baby on the way" in out


def test_chat_over_telegram_shows_typed_buttons(tmp_path: Path, database_url: str) -> None:
    lines = ["/start feltham", "1", "2", "1/5/2025", "Sam", "2", "1"]
    out = _chat(tmp_path, database_url, lines, "--channel", "telegram", "--as", "700900555")
    assert "[1] Yes, I agree  [2] No thanks" in out
    assert "- Sam: born 1 May 2025" in out
    assert "All done, thank you!" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["chat", "--channel", "fax"], "error: --channel must be sms or telegram"),
        (["no-such-command"], "No such command"),
    ],
)
def test_bad_input_gets_one_line_and_no_traceback(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run_bot(tmp_path, _env(tmp_path, f"sqlite:///{tmp_path}/x.db"), *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unsafe_production_settings_are_refused_in_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path, f"sqlite:///{tmp_path}/x.db", ENVIRONMENT="production")
    env.pop("SECRET_KEY")
    result = run_bot(tmp_path, env, "db", "upgrade")
    assert result.returncode == 2
    assert "SECRET_KEY is required" in result.stderr
    assert "Traceback" not in result.stderr


def test_tick_at_runs_one_pass_as_of_any_instant(tmp_path: Path, database_url: str) -> None:
    """Onboard through `chat`, then replay the clock with `tick --at`: one tip, once."""
    today = datetime.now(ZoneInfo("Europe/London")).date()
    born = today - timedelta(days=300)  # weekly tips, whatever day the suite runs
    script = ["feltham", "1", "2", born.strftime("%d/%m/%Y"), "skip", "2", "1"]
    _chat(tmp_path, database_url, script)
    env = _env(tmp_path, database_url)

    def tick(at: str) -> str:
        result = run_bot(tmp_path, env, "tick", "--at", at, check=True)
        return result.stdout

    # The chat contact joined "now"; a tip falls due at its first Tuesday-10:00 slot after that.
    first_slot = _next_tuesday_ten()
    assert "tips 0" in tick((first_slot - timedelta(minutes=1)).isoformat())
    sent = tick(first_slot.isoformat())
    again = tick((first_slot + timedelta(minutes=1)).isoformat())
    assert "tips 0" in again
    # This week's tip came with the welcome: the slot sends one only if a new week has begun.
    new_week = (first_slot.date() - born).days // 7 != (today - born).days // 7
    assert f"tips {int(new_week)}" in sent
    later = tick((first_slot + timedelta(days=7)).isoformat())
    assert "tips 1" in later


def _next_tuesday_ten() -> datetime:
    london = ZoneInfo("Europe/London")
    now = datetime.now(london)
    day = now.date() + timedelta(days=(1 - now.weekday()) % 7)
    slot = datetime.combine(day, clock_time(10), london)
    return slot if slot > now else slot + timedelta(days=7)
