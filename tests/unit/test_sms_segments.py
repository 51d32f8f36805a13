"""Segment arithmetic for SMS: GSM-7 versus UCS-2, part boundaries and encoding traps."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.sms import (
    ENCODING_TRAPS,
    GSM7_BASIC,
    GSM7_EXTENDED,
    SegmentCount,
    count_segments,
    encoding_traps,
    is_gsm7,
)

EMOJI = "\U0001f600"  # grinning face, outside the BMP: two UTF-16 units

CASES: list[tuple[str, str, str, int, int]] = [
    # (name, text, encoding, units, segments)
    ("empty", "", "GSM-7", 0, 1),
    ("one char", "a", "GSM-7", 1, 1),
    ("gsm 160", "a" * 160, "GSM-7", 160, 1),
    ("gsm 161", "a" * 161, "GSM-7", 161, 2),
    ("gsm 153*2", "a" * 306, "GSM-7", 306, 2),
    ("gsm 153*2+1", "a" * 307, "GSM-7", 307, 3),
    ("gsm 153*3", "a" * 459, "GSM-7", 459, 3),
    ("extended counts 2", "€", "GSM-7", 2, 1),
    ("all extended", "^{}\\[~]|€\f", "GSM-7", 20, 1),
    ("extended pushes past 160", "a" * 159 + "[", "GSM-7", 161, 2),
    ("extended exactly 160", "a" * 158 + "]", "GSM-7", 160, 1),
    ("80 euros", "€" * 80, "GSM-7", 160, 1),
    ("81 euros", "€" * 81, "GSM-7", 162, 2),
    ("e acute stays gsm", "café", "GSM-7", 4, 1),
    ("e acute 160", "é" * 160, "GSM-7", 160, 1),
    ("newline and cr", "a\r\nb", "GSM-7", 4, 1),
    ("welsh ty forces ucs2", "tŷ", "UCS-2", 2, 1),
    ("welsh dwr", "dŵr", "UCS-2", 3, 1),
    ("ucs2 70", "ŵ" * 70, "UCS-2", 70, 1),
    ("ucs2 71", "ŵ" * 71, "UCS-2", 71, 2),
    ("ucs2 67*2", "ŵ" * 134, "UCS-2", 134, 2),
    ("ucs2 67*2+1", "ŵ" * 135, "UCS-2", 135, 3),
    ("ucs2 67*3", "ŵ" * 201, "UCS-2", 201, 3),
    ("ucs2 67*3+1", "ŵ" * 202, "UCS-2", 202, 4),
    ("one accent spoils 160", "a" * 159 + "â", "UCS-2", 160, 3),
    ("emoji is 2 units", EMOJI, "UCS-2", 2, 1),
    ("35 emoji is 70 units", EMOJI * 35, "UCS-2", 70, 1),
    ("36 emoji is 72 units", EMOJI * 36, "UCS-2", 72, 2),
    ("curly apostrophe forces ucs2", "don\u2019t", "UCS-2", 5, 1),
    ("combining circumflex composes", "w\u0302", "UCS-2", 1, 1),
    ("combining acute composes to gsm", "e\u0301", "GSM-7", 1, 1),
    ("combining y circumflex", "ty\u0302", "UCS-2", 2, 1),
]


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_count_segments(text: str, encoding: str, units: int, segments: int) -> None:
    assert count_segments(text) == SegmentCount(encoding, units, segments)  # type: ignore[arg-type]


def test_alphabet_sizes() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points minus the ESC escape
    assert len(GSM7_EXTENDED) == 10
    assert not GSM7_BASIC & GSM7_EXTENDED


@pytest.mark.parametrize("ch", list("éàèìòùäöüÄÖÜÑñÇÅåÆæßÉØø£¥§¿¡ΔΩ@_"))
def test_in_gsm7(ch: str) -> None:
    assert is_gsm7(ch)


@pytest.mark.parametrize(
    "ch",
    [
        *"âêîôûŵŷáíóúýëïÿÂÊÎÔÛŴŶ`",
        *("\u2018", "\u2019", "\u201c", "\u201d"),
        *("\u2013", "\u2014", "\u2026", "\u00a0", "\u200b", "\t"),
    ],
)
def test_not_in_gsm7(ch: str) -> None:
    assert not is_gsm7(ch)


def test_is_gsm7_does_not_normalise() -> None:
    assert not is_gsm7("e\u0301")
    assert is_gsm7(unicodedata.normalize("NFC", "e\u0301"))


def test_encoding_traps_found_with_positions() -> None:
    text = "Don\u2019t stop \u2013 sing\u2026 \u201cla\u201d\u00a0\u200b"
    assert encoding_traps(text) == [
        (3, "\u2019", "'"),
        (11, "\u2013", "-"),
        (17, "\u2026", "..."),
        (19, "\u201c", '"'),
        (22, "\u201d", '"'),
        (23, "\u00a0", " "),
        (24, "\u200b", ""),
    ]


def test_replacing_traps_gives_gsm7() -> None:
    text = "".join(ENCODING_TRAPS)
    fixed = "".join(ENCODING_TRAPS[ch] for ch in text)
    assert is_gsm7(fixed)
    assert len(encoding_traps(text)) == len(ENCODING_TRAPS)


def test_trap_keys_are_not_gsm7_and_replacements_are() -> None:
    for trap, replacement in ENCODING_TRAPS.items():
        assert not is_gsm7(trap), repr(trap)
        assert is_gsm7(replacement), repr(replacement)


@pytest.mark.parametrize("text", ["tŷ", "dŵr", "gêm", "â", "Ŵ", "Ŷ", "ffôn", "sîr", "ŵyr", "dŷ"])
def test_welsh_circumflexes_are_not_traps(text: str) -> None:
    assert encoding_traps(text) == []
    assert count_segments(text).encoding == "UCS-2"


def test_plain_text_has_no_traps() -> None:
    assert encoding_traps('Sing a song at bath time - it\'s fun! "Splash!"') == []


@given(st.text())
def test_count_segments_properties(text: str) -> None:
    result = count_segments(text)
    assert result.segments >= 1
    assert result.units >= 0
    normalised = unicodedata.normalize("NFC", text)
    assert (result.encoding == "GSM-7") == is_gsm7(normalised)
    if result.encoding == "UCS-2":
        assert result.units == len(normalised.encode("utf-16-le")) // 2
        assert result.segments == (1 if result.units <= 70 else -(-result.units // 67))
    else:
        assert len(normalised) <= result.units <= 2 * len(normalised)
        assert result.segments == (1 if result.units <= 160 else -(-result.units // 153))


@given(st.text(alphabet=sorted(GSM7_BASIC), max_size=500))
def test_basic_gsm_units_equal_length(text: str) -> None:
    # NFC never moves a basic GSM character out of the alphabet
    result = count_segments(text)
    assert result.encoding == "GSM-7"
    assert result.units == len(unicodedata.normalize("NFC", text))


@given(st.text())
def test_encoding_traps_never_raises_and_points_at_traps(text: str) -> None:
    for index, ch, replacement in encoding_traps(text):
        assert text[index] == ch
        assert ENCODING_TRAPS[ch] == replacement
