"""Safeguarding screening: does a message contain a listed word or phrase, in any language?

Pure: the lists come from configuration (config/safeguarding.yaml). Matching ignores case,
accents and punctuation, and works on whole words, so "harm" never matches inside "pharmacy".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from conversations.parsing.text import fold

_JOINERS = frozenset({"Mn", "Me"})  # combining accents belong to the letter before them

# Dropped, not turned into a space: "can't" and "cant" are the same word to a parent typing.
_APOSTROPHES = frozenset("'\u2019\u2018\u02bc`\u00b4")


# `spaced_words` for ASCII text in one C call: apostrophes dropped, other punctuation a space.
_ASCII_WORDS = str.maketrans(
    {
        chr(code): None if chr(code) in _APOSTROPHES else " "
        for code in range(128)
        if not chr(code).isalnum()
    }
)


def normalise(text: str) -> str:
    """Casefolded, accent-free words separated by single spaces; punctuation is a space."""
    return " ".join(_words(text))


def spaced_words(folded: str) -> str:
    """Folded text with apostrophes dropped and anything else not a letter or digit a space."""
    chars = []
    for ch in folded:
        if ch in _APOSTROPHES:
            continue
        chars.append(ch if ch.isalnum() else " ")
    return "".join(chars)


def _words(text: str) -> tuple[str, ...]:
    folded = fold(text)
    if folded.isascii():
        return tuple(folded.translate(_ASCII_WORDS).split())
    return tuple(spaced_words(folded).split())


@dataclass(frozen=True, slots=True)
class Screen:
    """The configured terms, by language, ready to match; an empty screen matches nothing."""

    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _index: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @classmethod
    def of(cls, terms: Mapping[str, Iterable[str]]) -> Screen:
        """Build from {language: [word or phrase, …]}; blank terms are ignored."""
        kept = {lang: tuple(t for t in words if _words(t)) for lang, words in terms.items()}
        index: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for words in kept.values():
            for term in words:
                tokens = _words(term)
                entries = index.setdefault(tokens[0], [])
                if all(existing != tokens for existing, _ in entries):
                    entries.append((tokens, term))
        return cls(kept, {first: tuple(entries) for first, entries in index.items()})

    def match(self, text: str) -> list[str]:
        """The listed terms the text contains as whole words, each once, as first found."""
        if not text or not self._index:
            return []
        tokens = _words(text)
        found: list[str] = []
        for start, token in enumerate(tokens):
            for term_tokens, term in self._index.get(token, ()):
                end = start + len(term_tokens)
                if tokens[start:end] == term_tokens and term not in found:
                    found.append(term)
        return found

    def marked(self, text: str) -> list[tuple[str, bool]]:
        """The text in pieces, each True where it is part of a listed term (for <mark>)."""
        words = _word_spans(text)
        ranges: list[tuple[int, int]] = []
        for start in range(len(words)):
            for term_tokens, _term in self._index.get(words[start][0], ()):
                window = words[start : start + len(term_tokens)]
                if tuple(w[0] for w in window) == term_tokens:
                    ranges.append((window[0][1], window[-1][2]))
        pieces: list[tuple[str, bool]] = []
        at = 0
        for begin, end in sorted(ranges):
            begin = max(begin, at)
            if end <= begin:
                continue
            if begin > at:
                pieces.append((text[at:begin], False))
            pieces.append((text[begin:end], True))
            at = end
        if at < len(text):
            pieces.append((text[at:], False))
        return pieces


def _is_wordy(ch: str) -> bool:
    return ch in _APOSTROPHES or unicodedata.category(ch) in _JOINERS or bool(normalise(ch))


def _word_spans(text: str) -> list[tuple[str, int, int]]:
    """(normalised word, start, end) for each word of the text as written."""
    spans: list[tuple[str, int, int]] = []
    start = None
    for i, ch in enumerate([*text, " "]):
        if i < len(text) and _is_wordy(ch):
            if start is None:
                start = i
        elif start is not None:
            spans.extend((token, start, i) for token in normalise(text[start:i]).split())
            start = None
    return spans
