"""`python -m bot export …` against a real database: files, filters, refusals, the audit log."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import Result
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from storage.audit_models import AuditEntry
from storage.db import transaction
from tests.integration.export_world import (
    ENGLISH,
    FELTHAM,
    SIMULATED,
    TELEGRAM,
    WELSH,
    Known,
    build,
    read_csv,
    read_xlsx,
)
from tests.integration.world import World

ROOT = Path(__file__).resolve().parents[2]


def _run(database_url: str, tmp_path: Path, *args: str) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-real",
        "SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    return CliRunner().invoke(app, ["export", *args], env=env)


def _audited(world: World) -> list[AuditEntry]:
    with transaction(world.container.sessions) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "export")))


def test_export_writes_csv_and_xlsx_with_the_same_rows(
    world: World, database_url: str, tmp_path: Path
) -> None:
    known: Known = build(world)
    csv_file, xlsx_file = tmp_path / "answers.csv", tmp_path / "answers.xlsx"
    made = _run(database_url, tmp_path, "responses", "--consultation", "play-park",
                "--out", str(csv_file))  # fmt: skip
    assert made.exit_code == 0, made.output
    assert f"wrote 3 rows to {csv_file}" in made.output
    made = _run(database_url, tmp_path, "responses", "--consultation", "play-park",
                "--finished-only", "--out", str(xlsx_file))  # fmt: skip
    assert made.exit_code == 0, made.output
    rows, sheet = read_csv(csv_file.read_bytes()), read_xlsx(xlsx_file.read_bytes())
    assert len(rows) == 4 and len(sheet) == 3 and rows[0] == sheet[0]
    assert load_workbook(xlsx_file, read_only=True).worksheets[0].title == "export"
    text = csv_file.read_text(encoding="utf-8-sig")
    assert not [value for value in known.forbidden() if value in text]
    entries = _audited(world)
    assert [(e.actor, e.detail["rows"], e.detail["format"]) for e in entries] == [  # type: ignore[index]
        ("cli", 3, "csv"),
        ("cli", 2, "xlsx"),
    ]


def test_an_identifiable_export_from_the_command_line(
    world: World, database_url: str, tmp_path: Path
) -> None:
    known = build(world)
    out = tmp_path / "tips.csv"
    refused = _run(database_url, tmp_path, "tips", "--identifiable", "--out", str(out))
    assert refused.exit_code != 0 and not out.exists()
    made = _run(database_url, tmp_path, "tips", "--identifiable", "--reason",
                "subject access request", "--community", "bettws", "--out", str(out))  # fmt: skip
    assert made.exit_code == 0, made.output
    text = out.read_text(encoding="utf-8-sig")
    assert all(known.contact_codes[a] in text for a in (WELSH, TELEGRAM, ENGLISH))
    assert known.contact_codes[FELTHAM] not in text and known.contact_codes[SIMULATED] not in text
    [entry] = _audited(world)
    assert entry.reason == "subject access request"
    assert entry.detail == {  # type: ignore[comparison-overlap]
        "dataset": "tips",
        "format": "csv",
        "mode": "identifiable",
        "filters": {"communities": ["bettws"]},
        "rows": 7,
    }


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    cases = [
        (["export", "everything", "--out", "x.csv"], "the dataset must be one of"),
        (["export", "tips", "--out", "x.txt"], "the format"),
        (["export", "tips", "--out", "x.csv", "--from", "10/03/2026"], "YYYY-MM-DD"),
        (["export", "tips", "--out", "x.csv", "--community", "atlantis"], "unknown community"),
        (["export", "responses", "--out", "x.csv"], "needs a consultation"),
        (["export", "tips", "--out", "x.csv", "--identifiable"], "written reason"),
    ]
    env = {
        "PATH": "",
        "PYTHONPATH": str(ROOT),
        "SECRET_KEY": "test-secret-key-not-real",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    for args, message in cases:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=False,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x.csv").exists()
