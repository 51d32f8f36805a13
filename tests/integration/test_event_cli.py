"""`python -m bot event create|list|rsvps|attendance|cancel` against a real database."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from bot.cli import app

ROOT = Path(__file__).resolve().parents[2]
RHYME_TIME = ROOT / "examples" / "events" / "rhyme-time.yaml"
EVENT_ID = "bettws-rhyme-time-2027-03-09"


def _run(database_url: str, tmp_path: Path, *args: str, stdin: str | None = None) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-real",
        "SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


def test_invalid_file_lists_problems_and_creates_nothing(database_url: str, tmp_path: Path) -> None:
    result = _run(
        database_url, tmp_path, "event", "create", str(ROOT / "examples/events/invalid.yaml")
    )
    assert result.exit_code != 0
    assert "line " in result.output
    assert "problem(s) in invalid.yaml" in str(result.exception)
    assert "bettws" not in _run(database_url, tmp_path, "event", "list").output


def test_create_answer_list_export_attendance_cancel(database_url: str, tmp_path: Path) -> None:
    script = "bettws\n2\n1\n2\n3/1/2025\nskip\n2\n1\n"
    joined = _run(database_url, tmp_path, "chat", "--as", "+447700900611", stdin=script)
    assert joined.exit_code == 0, joined.output

    created = _run(database_url, tmp_path, "event", "create", str(RHYME_TIME))
    assert created.exit_code == 0, created.output
    assert f"announced {EVENT_ID} to 1 residents" in created.output
    answered = _run(database_url, tmp_path, "chat", "--as", "+447700900611", stdin="1\n")
    assert "Rhyme time at Bettws Library" in answered.output

    ticked = _run(database_url, tmp_path, "tick", "--at", "2027-03-08T10:00:00+00:00")
    assert "events 1" in ticked.output  # the day-before reminder, to the one yes
    again = _run(database_url, tmp_path, "tick", "--at", "2027-03-08T10:01:00+00:00")
    assert "events 0" in again.output  # exactly once

    listed = _run(database_url, tmp_path, "event", "list").output
    assert EVENT_ID in listed and "announced" in listed

    out = tmp_path / "rsvps.csv"
    _run(database_url, tmp_path, "event", "rsvps", EVENT_ID, "--out", str(out))
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["language"], r["channel"], r["answer"]) for r in rows] == [("en", "sms", "yes")]
    assert "+4477" not in out.read_text(encoding="utf-8")  # codes, never numbers

    marked = _run(database_url, tmp_path, "event", "attendance", EVENT_ID, rows[0]["code"], "NOPE")
    assert "marked 1 of 2 as attended" in marked.output

    cancelled = _run(database_url, tmp_path, "event", "cancel", EVENT_ID)
    assert f"cancelled {EVENT_ID}; 1 residents told" in cancelled.output
    again = _run(database_url, tmp_path, "event", "create", str(RHYME_TIME))
    assert "was cancelled" in str(again.exception)
