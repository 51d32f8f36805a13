"""Text folding: compare what people type while ignoring case, accents, spacing and noise."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DROPPED = frozenset({"Cc", "Cf", "Cs", "Mn", "Me"})
_EDGE_NOISE = ("P", "S")
_BOT_SUFFIX = re.compile(r"[a-z0-9_]{1,64}")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")  # not whitespace to str.split


def _clean(text: str) -> str:
    """Whitespace to spaces; control, format, surrogate and combining characters removed."""
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch) not in _DROPPED
    )


@lru_cache(maxsize=8192)  # the engine folds the same option labels for every message
def fold(text: str) -> str:
    """Casefolded, accent-free, control-free text with single spaces and no outer spaces."""
    if text.isascii() and not _ASCII_CONTROL.search(text):
        return " ".join(text.lower().split())  # what fold_general gives, much faster
    return fold_general(text)


def fold_general(text: str) -> str:
    """`fold` for any text, without the ASCII shortcut."""
    folded = _clean(text)
    for _ in range(2):
        folded = _clean(unicodedata.normalize("NFKD", folded.casefold()))
    return " ".join(folded.split())


def is_edge_noise(ch: str) -> bool:
    """Whether a character is punctuation, a symbol or emoji, or whitespace."""
    return ch.isspace() or unicodedata.category(ch).startswith(_EDGE_NOISE)


@lru_cache(maxsize=8192)
def strip_noise(text: str) -> str:
    """The text without punctuation, symbols or spaces at either end."""
    start, end = 0, len(text)
    while start < end and is_edge_noise(text[start]):
        start += 1
    while end > start and is_edge_noise(text[end - 1]):
        end -= 1
    return text[start:end]


def fold_keyword(text: str) -> str:
    """Folded text as a command word: no "/", "@botname", or outer punctuation and emoji."""
    folded = fold(text)
    is_command = folded.startswith("/")
    stripped = strip_noise(folded)
    first, space, rest = stripped.partition(" ")
    head, at, tail = first.partition("@")
    if at and head and _BOT_SUFFIX.fullmatch(tail) and (is_command or tail.endswith("bot")):
        stripped = strip_noise(head + space + rest)
    return stripped
