"""`python -m bot content import|export|preview` against a real database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli import app
from bot.container import SHIPPED_TIPS
from storage.db import make_engine
from storage.models import Tip


def _run(database_url: str, tmp_path: Path, *args: str) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-real",
        "SECRET_KEY_FILE": str(tmp_path / "secret"),
    }
    return CliRunner().invoke(app, list(args), env=env)


def _library(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(select(Tip.id, Tip.texts).where(Tip.active.is_(True))).all()
    engine.dispose()
    return {tip_id: texts["en"] for tip_id, texts in rows}


def _rows() -> list[dict[str, str]]:
    with SHIPPED_TIPS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_file_with_bad_rows_changes_nothing_and_says_where(
    database_url: str, tmp_path: Path
) -> None:
    assert _run(database_url, tmp_path, "seed").exit_code == 0
    before = _library(database_url)
    rows = _rows()
    rows[3]["text_en"] = "It\u2019s bath time: sing your baby a song."
    rows[7]["text_cy"] = ""
    rows[10]["track"] = "toddler"
    rows[12]["id"] = rows[11]["id"]
    rows[20]["text_en"] = "x" * 161
    result = _run(
        database_url, tmp_path, "content", "import", str(_write(tmp_path / "bad.csv", rows))
    )
    assert result.exit_code != 0
    for where in (
        "row 5, text_en",
        "row 9, text_cy",
        "row 12, track",
        "row 14, id",
        "row 22, text_en",
    ):
        assert where in result.output, where
    assert "nothing was imported" in str(result.exception)  # main() prints it as one line
    assert _library(database_url) == before


def test_import_replaces_and_retires_and_export_round_trips_through_xlsx(
    database_url: str, tmp_path: Path
) -> None:
    rows = _rows()
    rows[0]["text_en"] = "A brand new first tip for week 12, short and plain."
    fewer = _write(tmp_path / "fewer.csv", rows[:-1])
    result = _run(database_url, tmp_path, "content", "import", str(fewer))
    assert result.exit_code == 0, result.output
    assert "imported 210 tips" in result.output and "retired 1" in result.output
    library = _library(database_url)
    assert library["p12"] == "A brand new first tip for week 12, short and plain."
    assert rows[-1]["id"] not in library
    exported = tmp_path / "library.xlsx"
    assert _run(database_url, tmp_path, "content", "export", str(exported)).exit_code == 0
    again = _run(database_url, tmp_path, "content", "import", str(exported))
    assert again.exit_code == 0, again.output
    assert _library(database_url) == library
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Tip)) == 211  # retired, kept
    engine.dispose()


def test_preview_lists_what_a_family_would_get_with_dates(
    database_url: str, tmp_path: Path
) -> None:
    result = _run(
        database_url,
        tmp_path,
        "content",
        "preview",
        "--birth",
        "2025-08-14",
        "--start",
        "2026-03-10",
        "--weeks",
        "4",
    )
    assert result.exit_code == 0, result.output
    for tip_id, day in (
        ("c029", "10 March 2026"),
        ("c030", "17 March 2026"),
        ("c032", "31 March 2026"),
    ):
        assert tip_id in result.output and day in result.output
    welsh = _run(
        database_url,
        tmp_path,
        "content",
        "preview",
        "--due",
        "2026-06-01",
        "--start",
        "2026-03-10",
        "--weeks",
        "2",
        "--lang",
        "cy",
    )
    assert welsh.exit_code == 0, welsh.output
    assert "Mawrth 2026" in welsh.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["content", "preview"], "give exactly one of --birth DATE or --due DATE"),
        (["content", "preview", "--birth", "14/08/2025"], "--birth must be a date like"),
        (["content", "import", "nowhere.csv"], "nowhere.csv"),
        (["content", "import", "library.txt"], ".csv or .xlsx"),
    ],
)
def test_bad_input_gets_a_clear_error(
    database_url: str, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "library.txt").write_text("id,track\n")
    result = _run(
        database_url, tmp_path, *[a if a != "library.txt" else str(tmp_path / a) for a in args]
    )
    assert result.exit_code != 0
    assert message in result.output + str(result.exception)
