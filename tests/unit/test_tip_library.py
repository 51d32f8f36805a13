"""The tip library: full week coverage, sane topics and texts that fit cheaply in an SMS."""

from __future__ import annotations

import csv
import itertools
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from conversations.sms import count_segments, encoding_traps, is_gsm7

TIPS_CSV = Path(__file__).resolve().parents[2] / "conversations" / "content" / "tips.csv"
HEADER = ["id", "track", "week", "topic", "routine", "text_en", "text_cy", "reviewed_cy"]
TOPICS = {"talk", "play", "reading", "feelings", "routines", "health"}
PREGNANCY_WEEKS = list(range(12, 41))
CHILD_WEEKS = list(range(104)) + list(range(104, 259, 2))
ID_RE = re.compile(r"^(p\d{2}|c\d{3})$")
URL_RE = re.compile(r"https?://|www\.|\.(com|co\.uk|org|net|cymru|wales)\b", re.IGNORECASE)


def _is_emoji_like(ch: str) -> bool:
    return (
        ord(ch) > 0xFFFF
        or unicodedata.category(ch) == "So"
        or 0xFE00 <= ord(ch) <= 0xFE0F  # variation selectors
        or ch == "\u200d"  # zero-width joiner, glues emoji sequences
    )


def _read_raw() -> bytes:
    return TIPS_CSV.read_bytes()


def _rows() -> list[dict[str, str]]:
    with TIPS_CSV.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


ROWS = _rows()


def test_file_is_plain_utf8_with_lf_line_endings() -> None:
    raw = _read_raw()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte-order mark"
    raw.decode("utf-8")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")


def test_exact_header() -> None:
    with TIPS_CSV.open(encoding="utf-8", newline="") as f:
        assert next(csv.reader(f)) == HEADER


def test_row_count() -> None:
    assert len(ROWS) == 29 + 104 + 78 == 211


def test_every_row_has_every_column() -> None:
    for row in ROWS:
        assert None not in row, f"extra fields in {row.get('id')}"
        assert all(row[c] is not None and row[c].strip() == row[c] for c in HEADER), row["id"]


def test_week_coverage_is_complete_and_unique() -> None:
    weeks: dict[str, list[int]] = {"pregnancy": [], "child": []}
    for row in ROWS:
        assert row["track"] in weeks, row["id"]
        assert row["week"].isdigit(), row["id"]
        weeks[row["track"]].append(int(row["week"]))
    assert sorted(weeks["pregnancy"]) == PREGNANCY_WEEKS
    assert sorted(weeks["child"]) == CHILD_WEEKS


def test_ids_are_unique_and_match_track_and_week() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(set(ids)) == len(ids)
    for row in ROWS:
        assert ID_RE.match(row["id"]), row["id"]
        week = int(row["week"])
        expected = f"p{week:02d}" if row["track"] == "pregnancy" else f"c{week:03d}"
        assert row["id"] == expected


def test_topics_are_allowed_and_spread() -> None:
    counts = Counter(row["topic"] for row in ROWS)
    assert set(counts) <= TOPICS
    for topic in TOPICS:
        assert counts[topic] >= 20, (topic, counts[topic])


def test_consecutive_weeks_vary_in_topic() -> None:
    for track in ("pregnancy", "child"):
        ordered = sorted((r for r in ROWS if r["track"] == track), key=lambda r: int(r["week"]))
        for a, b in itertools.pairwise(ordered):
            assert a["topic"] != b["topic"], (a["id"], b["id"])


def test_routines_are_named_and_varied() -> None:
    routines = Counter(row["routine"] for row in ROWS)
    assert all(routines)
    assert len(routines) >= 30
    assert routines.most_common(1)[0][1] <= len(ROWS) // 10


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_english_fits_one_gsm7_sms(row: dict[str, str]) -> None:
    text = row["text_en"]
    assert text
    assert len(text) <= 160
    assert is_gsm7(text), [ch for ch in text if not is_gsm7(ch)]
    assert encoding_traps(text) == []
    assert count_segments(text).segments == 1


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_welsh_fits_three_ucs2_segments(row: dict[str, str]) -> None:
    text = row["text_cy"]
    assert text
    assert unicodedata.normalize("NFC", text) == text
    assert encoding_traps(text) == []
    # Budget as UCS-2 even where a tip happens to be GSM-7, so edits can't surprise us.
    assert len(text.encode("utf-16-le")) // 2 <= 201
    assert count_segments(text).segments <= 3


def test_reviewed_flag() -> None:
    assert {row["reviewed_cy"] for row in ROWS} <= {"yes", "no"}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_no_urls_or_emoji(row: dict[str, str]) -> None:
    for field in ("text_en", "text_cy"):
        text = row[field]
        assert not URL_RE.search(text), (field, text)
        assert not any(_is_emoji_like(ch) for ch in text), (field, text)


def test_texts_are_not_duplicated() -> None:
    for field in ("text_en", "text_cy"):
        counts = Counter(row[field] for row in ROWS)
        assert [t for t, n in counts.items() if n > 1] == [], field
