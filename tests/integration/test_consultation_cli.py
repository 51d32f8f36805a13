"""`python -m bot consultation validate|launch|results|list|close` against a real database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import Result
from sqlalchemy import create_engine, update
from typer.testing import CliRunner

from bot.cli import app
from storage.models import Contact

ROOT = Path(__file__).resolve().parents[2]
PLAY_PARK = ROOT / "examples" / "consultations" / "play-park.yaml"
INVALID = ROOT / "examples" / "consultations" / "invalid.yaml"


def _env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-real",
        "SECRET_KEY_FILE": str(tmp_path / "secret"),
    }


def _run(database_url: str, tmp_path: Path, *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=_env(database_url, tmp_path))


def _join(database_url: str, tmp_path: Path, address: str, script: str) -> None:
    chat = CliRunner().invoke(
        app,
        ["chat", "--channel", "sms", "--as", address],
        input=script,
        env=_env(database_url, tmp_path),
    )
    assert chat.exit_code == 0, chat.output
    # The terminal chat marks its parents simulated; this one stands for a real SMS family, so
    # the launch counts and costs it.
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(update(Contact).values(is_simulated=False))
    engine.dispose()


def test_validate_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "consultation", "validate", str(INVALID)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "", "PYTHONPATH": str(ROOT), "SECRET_KEY": "test-secret-key-not-real"},
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "line 2 (id)" in result.stdout  # "Play Park 2027" is not an id
    assert "line 3 (title): missing Welsh (cy) text" in result.stdout
    assert "unknown key 'colour'" in result.stdout
    assert "whatsapp" in result.stdout
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1


def test_validate_accepts_the_example(database_url: str, tmp_path: Path) -> None:
    result = _run(database_url, tmp_path, "consultation", "validate", str(PLAY_PARK))
    assert result.exit_code == 0
    assert "OK, 8 questions in en, cy" in result.output


def test_dry_run_then_launch_then_results_list_and_close(database_url: str, tmp_path: Path) -> None:
    script = "bettws\n2\n1\n2\n3/1/2025\nskip\n2\n1\n"
    _join(database_url, tmp_path, "+447700900601", script)

    dry = _run(database_url, tmp_path, "consultation", "launch", str(PLAY_PARK), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "play-park: 1 recipients" in dry.output
    assert "English on sms: 1, up to" in dry.output
    assert "dry run: nothing was launched" in dry.output
    listed = _run(database_url, tmp_path, "consultation", "list")
    assert "play-park" not in listed.output

    launched = _run(database_url, tmp_path, "consultation", "launch", str(PLAY_PARK))
    assert launched.exit_code == 0, launched.output
    assert "launched play-park" in launched.output
    again = _run(database_url, tmp_path, "consultation", "launch", str(PLAY_PARK))
    assert again.exit_code != 0
    assert "already launched" in str(again.exception)

    shown = _run(database_url, tmp_path, "consultation", "results", "play-park")
    assert shown.exit_code == 0, shown.output
    assert "What would make the play park better?" in shown.output
    assert "<5" in shown.output  # one invitee: every count is too small to show

    assert "open" in _run(database_url, tmp_path, "consultation", "list").output
    closed = _run(database_url, tmp_path, "consultation", "close", "play-park")
    assert "closed play-park" in closed.output
    assert "closed" in _run(database_url, tmp_path, "consultation", "list").output

    unknown = _run(database_url, tmp_path, "consultation", "results", "nope")
    assert unknown.exit_code != 0
    assert "no consultation with id 'nope'" in str(unknown.exception)


def test_a_launch_can_be_scheduled(database_url: str, tmp_path: Path) -> None:
    result = _run(
        database_url,
        tmp_path,
        "consultation",
        "launch",
        str(PLAY_PARK),
        "--at",
        "2027-01-05T09:00:00+00:00",
    )
    assert result.exit_code == 0, result.output
    assert "scheduled play-park for 2027-01-05T09:00:00+00:00" in result.output
    assert "scheduled" in _run(database_url, tmp_path, "consultation", "list").output
    ticked = _run(database_url, tmp_path, "tick", "--at", "2027-01-05T09:00:00+00:00")
    assert "consultations 0" in ticked.output  # launched to nobody: no families yet
    assert "open" in _run(database_url, tmp_path, "consultation", "list").output
    _run(database_url, tmp_path, "tick", "--at", "2027-04-01T09:00:00+01:00")
    assert "closed" in _run(database_url, tmp_path, "consultation", "list").output
