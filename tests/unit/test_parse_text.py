"""Folding text for comparison: case, accents, spacing, control characters, command words."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.parsing.text import fold, fold_general, fold_keyword, strip_noise

# Every Unicode category, surrogates ("Cs") and unassigned code points included.
ANY_CHAR = st.characters(categories=["C", "L", "M", "N", "P", "S", "Z"])
ANY_TEXT = st.text(alphabet=ANY_CHAR, max_size=200) | st.text(max_size=50).map(lambda s: s * 200)
FAST = settings(max_examples=150, deadline=None)

FOLD_CASES: list[tuple[str, str]] = [
    ("ŵ", "w"),
    ("Ié", "ie"),
    ("Ŷ Gymraeg", "y gymraeg"),
    ("ÂÊÎÔÛŴŶ", "aeiouwy"),
    ("  Hello\n\tWORLD  ", "hello world"),
    ("a\u00a0\u2003b", "a b"),
    ("zero\u200bwidth\u200d", "zerowidth"),
    ("bell\x07\x00", "bell"),
    ("\u202eRTL\u202c", "rtl"),
    ("Straße", "strasse"),
    ("İstanbul", "istanbul"),
    ("ＦＵＬＬ", "full"),
    ("e\u0301", "e"),
    ("lone\ud800surrogate", "lonesurrogate"),
    ("👍", "👍"),
    ("STOP.", "stop."),
    ("", ""),
    (" \n\t ", ""),
]


@pytest.mark.parametrize(("raw", "expected"), FOLD_CASES)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


KEYWORD_CASES: list[tuple[str, str]] = [
    ("STOP", "stop"),
    ("STOP.", "stop"),
    (" Stop! ", "stop"),
    ("stop?!", "stop"),
    ("“Stop”", "stop"),
    ("'stop',", "stop"),
    ("/stop", "stop"),
    ("/stop@ElcBot", "stop"),
    ("/Start@elc_bot", "start"),
    ("stop@ElcBot", "stop"),
    ("/help@SomeName extra", "help extra"),
    ("stop 🛑", "stop"),
    ("👋 help", "help"),
    ("dad-danysgrifio", "dad-danysgrifio"),
    ("Dad-Danysgrifio!", "dad-danysgrifio"),
    ("STOPIO\u200b", "stopio"),
    ("me@example.com", "me@example.com"),
    ("Cymorth", "cymorth"),
    ("...", ""),
    ("", ""),
]


@pytest.mark.parametrize(("raw", "expected"), KEYWORD_CASES)
def test_fold_keyword(raw: str, expected: str) -> None:
    assert fold_keyword(raw) == expected


def test_strip_noise_keeps_inner_punctuation() -> None:
    assert strip_noise("!! no, thanks!! 🙏") == "no, thanks"


@FAST
@given(ANY_TEXT)
def test_fold_is_clean_and_idempotent(text: str) -> None:
    folded = fold(text)
    assert isinstance(folded, str)
    assert folded == folded.strip()
    assert "  " not in folded
    assert not any(ch.isspace() and ch != " " for ch in folded)
    assert not any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Mn", "Me"} for ch in folded)
    assert fold(folded) == folded


@FAST
@given(ANY_TEXT)
def test_fold_keyword_never_raises_and_has_no_outer_noise(text: str) -> None:
    keyword = fold_keyword(text)
    assert isinstance(keyword, str)
    assert keyword == strip_noise(keyword)
    assert not keyword.startswith("/")


@FAST
@given(st.sampled_from(["stop", "start", "help", "stopio", "cymorth"]), ANY_TEXT)
def test_fold_keyword_ignores_case_and_decoration(word: str, noise: str) -> None:
    assert fold_keyword(f"  /{word.upper()}@ElcBot!? ") == word
    assert fold_keyword(word.title() + "." * len(noise)) == word


def test_long_text() -> None:
    text = ("Ŵ\u200b a!\n" * 2000)[:10_000]
    assert fold(text).startswith("w a! w a!")
    assert fold_keyword(text).endswith("w a")


@FAST
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_the_ascii_shortcut_folds_exactly_like_the_general_path(text: str) -> None:
    assert fold(text) == fold_general(text)


def test_the_ascii_shortcut_drops_controls_and_splits_on_separators() -> None:
    assert fold("Yes\x00\x1fPlease\x7f") == fold_general("Yes\x00\x1fPlease\x7f") == "yes please"
