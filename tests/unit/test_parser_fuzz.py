"""Hypothesis properties for the parsers no other file fuzzes: consultation answers, tip
spreadsheets (CSV and XLSX bytes), the dashboard's session cookie, the Telegram /start payload
and what the webhooks make storable. The table in docs/development.md lists every parser."""

from __future__ import annotations

import io
import string
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from admin.auth import SessionCodec
from bot.content_files import read_rows
from bot.settings import ConfigError
from conversations.consultations import answers as an
from conversations.content.validate import parse_rows
from tests.conftest import scaled
from tests.unit.test_consultation_flow import ALL_TYPES
from webhooks.limits import storable_text
from webhooks.telegram import start_payload

TODAY = date(2026, 3, 10)
QUESTIONS = {q.type: q for q in ALL_TYPES.questions}
LABELS = {an.YES: ("Yes", "Ie"), an.NO: ("No", "Na")}
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=200)
fuzz = settings(
    max_examples=scaled(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.mark.parametrize("kind", list(QUESTIONS))
@fuzz
@given(text=ANY_TEXT | st.sampled_from(["1", "2", "3", "1,3", "5", "0", "ie", "no", "4.5"]))
def test_any_typed_answer_is_an_answer_or_a_miss(kind: str, text: str) -> None:
    question = QUESTIONS[kind]
    outcome = an.read_text(question, text, TODAY, LABELS)
    assert isinstance(outcome, an.Parsed | an.Miss)
    if isinstance(outcome, an.Parsed) and kind in ("choice", "multi"):
        assert outcome.option_ids and set(outcome.option_ids) <= {o.id for o in question.options}
    if isinstance(outcome, an.Parsed) and kind == "number":
        assert outcome.value is not None
        number = Decimal(outcome.value)
        assert question.min is None or number >= Decimal(str(question.min))


@fuzz
@given(text=ANY_TEXT | st.from_regex(r"-?[0-9]{1,400}(\.[0-9]{1,50})?(e[0-9]{1,5})?"))
def test_a_number_is_read_finite_or_not_at_all(text: str) -> None:
    number = an.read_number(text)
    assert number is None or number.is_finite()


@fuzz
@given(choice=st.text(max_size=80), picked=st.lists(st.text(max_size=8), max_size=4))
def test_any_button_data_is_a_press_of_ours_or_ignored(choice: str, picked: list[str]) -> None:
    button = an.read_button(choice)
    if button is not None:
        assert an.button_id(*button) == choice
        for question in ALL_TYPES.questions:
            an.read_press(question, button[2], picked, skippable=True)


def _csv_or_xlsx(suffix: str, content: bytes) -> list[dict[str, str | None]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"tips{suffix}"
        path.write_bytes(content)
        return read_rows(path)


CELLS = st.text(string.printable + "ŵŷâ’—é\u00a0\x00", max_size=12) | st.sampled_from(
    ["id", "track", "week", "topic", "routine", "text_en", "text_cy", "child", "pregnancy", "4"]
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    rows = draw(st.lists(st.lists(CELLS, max_size=9), max_size=5))
    text = "\n".join(",".join(row) for row in rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]))
    raw = text.encode(encoding, errors="replace")
    cut = draw(st.integers(0, len(raw)))  # a file truncated anywhere
    return raw if draw(st.booleans()) else raw[:cut]


@fuzz
@given(content=csv_bytes() | st.binary(max_size=300))
def test_any_csv_file_gives_rows_or_one_plain_problem(content: bytes) -> None:
    try:
        rows = _csv_or_xlsx(".csv", content)
    except ConfigError as problem:
        assert str(problem) and "\n" not in str(problem)
        return
    tips, errors = parse_rows(rows)
    assert bool(tips) != bool(errors)


@st.composite
def xlsx_bytes(draw: st.DrawFn) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    cells = CELLS.map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)) | st.integers() | st.none()
    for row in draw(st.lists(st.lists(cells, max_size=9), max_size=4)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    raw = out.getvalue()
    if draw(st.booleans()):
        return raw
    at = draw(st.integers(0, 10**6)) % len(raw)  # the saved size varies with the timestamp
    return raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :]  # one corrupted byte


@settings(max_examples=scaled(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=xlsx_bytes() | st.binary(max_size=300))
def test_any_xlsx_file_gives_rows_or_one_plain_problem(content: bytes) -> None:
    try:
        rows = _csv_or_xlsx(".xlsx", content)
    except ConfigError as problem:
        assert str(problem)
        return
    tips, errors = parse_rows(rows)
    assert bool(tips) != bool(errors)


@fuzz
@given(cookie=st.none() | st.text(max_size=200) | st.from_regex(r"[A-Za-z0-9_-]{0,40}\.\S{0,50}"))
def test_any_session_cookie_is_a_session_or_none(cookie: str | None) -> None:
    assert SessionCodec("test-secret-key-not-real").loads(cookie) is None


@fuzz
@given(text=st.text(max_size=100) | st.from_regex(r"/start(@[a-z_]{1,10})?( .{0,80})?"))
def test_start_payload_is_well_formed_or_none(text: str) -> None:
    is_start, payload = start_payload(text)
    assert is_start or payload is None
    if payload is not None:
        assert 1 <= len(payload) <= 64 and payload.isascii()


@fuzz
@given(text=st.text(st.characters(), max_size=200))
def test_storable_text_is_utf8_without_nul_and_keeps_clean_text(text: str) -> None:
    stored = storable_text(text)
    assert "\x00" not in stored
    stored.encode("utf-8")  # no lone surrogate left
    clean = "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)
    assert (stored == text) == clean
