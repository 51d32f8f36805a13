"""Which of a numbered list of options a reply picks, and whether a reply means yes or no."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from conversations.parsing.text import fold, strip_noise

MAX_LENGTH = 1000
MAX_PIECES = 100
_APOSTROPHES = frozenset("'`´‘’‛ʼ")
_SKIN_TONES = re.compile("[\U0001f3fb-\U0001f3ff]")
_NEGATIVE = re.compile(r"\s*[-\u2212\u2013]\s*\d")
_ORDINAL_DIGITS = re.compile(r"(\d{1,3})(?:st|nd|rd|th|af|il|ydd|edd|ed|fed|eg|ain)")
_PREFIXES = frozenset(
    {"the", "yr", "y", "option", "opsiwn", "opt", "choice", "dewis", "rhif", "number", "num", "no"}
)
_ONE = frozenset({"one", "un"})
_NUMBER_WORDS: dict[str, int] = {
    **dict.fromkeys(("one", "un", "first", "cyntaf", "gyntaf"), 1),
    **dict.fromkeys(("two", "dau", "ddau", "dwy", "ddwy", "second", "ail"), 2),
    **dict.fromkeys(("three", "tri", "dri", "tair", "dair", "third", "trydydd", "trydedd"), 3),
    **dict.fromkeys(("four", "pedwar", "bedwar", "pedair", "bedair", "fourth", "pedwerydd"), 4),
    **dict.fromkeys(("five", "pump", "pum", "bump", "fifth", "pumed", "bumed"), 5),
    **dict.fromkeys(("six", "chwech", "chwe", "sixth", "chweched"), 6),
    **dict.fromkeys(("seven", "saith", "seventh", "seithfed"), 7),
    **dict.fromkeys(("eight", "wyth", "eighth", "wythfed"), 8),
    **dict.fromkeys(("nine", "naw", "ninth", "nawfed"), 9),
    **dict.fromkeys(("ten", "deg", "ddeg", "tenth", "degfed", "ddegfed"), 10),
}
_SPLITTERS = (
    re.compile(r"[,;\n]"),
    re.compile(r"[&+/]|(?<!\S)(?:and|a|ac|plus)(?!\S)"),
    re.compile(r"\s+"),
)


@dataclass(frozen=True, slots=True)
class Option:
    """One answer: its id and its text in every language, plus synonyms."""

    id: str
    labels: tuple[str, ...]


def _loose(folded: str) -> str:
    """Folded text with apostrophes dropped and other punctuation and symbols as spaces."""
    chars = (
        "" if ch in _APOSTROPHES else " " if unicodedata.category(ch)[0] in "PS" else ch
        for ch in folded
    )
    return " ".join("".join(chars).split())


@lru_cache(maxsize=8192)
def _forms(text: str) -> frozenset[str]:
    """The ways a text may be compared: as folded, without outer noise, without any."""
    folded = fold(text)
    return frozenset({folded, strip_noise(folded), _loose(folded)} - {""})


@lru_cache(maxsize=4096)  # options are frozen; their forms are the same for every reply
def _option_forms(option: Option) -> frozenset[str]:
    """Every comparable form of an option's id and labels."""
    return frozenset().union(*(_forms(label) for label in (option.id, *option.labels)))


@lru_cache(maxsize=4096)
def _number(text: str) -> int | None:
    """The number a reply such as "1", "#2", "option 3", "tri" or "the first one" gives."""
    folded = fold(text)
    if _NEGATIVE.match(folded):
        return None
    words = strip_noise(folded).replace("#", " ").split()
    while len(words) > 1 and words[0].rstrip(".:") in _PREFIXES:
        words.pop(0)
    if len(words) == 2 and words[1] in _ONE and words[0] in _NUMBER_WORDS:
        words.pop()
    if len(words) == 2 and words[0] in _ONE and words[1] in _NUMBER_WORDS:
        words.pop(0)
    if len(words) != 1:
        return None
    word = words[0].strip(".):")
    if word.isdecimal() and len(word) <= 6:
        return int(word)
    ordinal = _ORDINAL_DIGITS.fullmatch(word)
    if ordinal:
        return int(ordinal.group(1))
    return _NUMBER_WORDS.get(word)


def _pick(text: str, options: Sequence[Option], forms: Sequence[frozenset[str]]) -> str | None:
    """The id of the one option a reply means, given every option's comparable forms."""
    candidates: set[str] = set()
    number = _number(text)
    if number is not None and 1 <= number <= len(options):
        candidates.add(options[number - 1].id)
    reply = _forms(text)
    if reply:
        candidates.update(
            option.id for option, own in zip(options, forms, strict=True) if reply & own
        )
    return candidates.pop() if len(candidates) == 1 else None


@lru_cache(maxsize=1024)
def _all_forms(options: tuple[Option, ...]) -> tuple[frozenset[str], ...]:
    """Every option's comparable forms, in order."""
    return tuple(_option_forms(option) for option in options)


def match_option(text: str, options: Sequence[Option]) -> str | None:
    """The id of the one option a reply means, by number, label or id; None if unclear."""
    if not options or len(text) > MAX_LENGTH * 4:
        return None
    return _pick(text, options, _all_forms(tuple(options)))


def _pieces(
    part: str, options: Sequence[Option], forms: Sequence[frozenset[str]], level: int
) -> list[str] | None:
    """The ids a piece of a reply names, splitting it ever finer; None if any bit is unclear."""
    if not strip_noise(part):
        return []
    whole = _pick(part, options, forms)
    if whole is not None:
        return [whole]
    if level >= len(_SPLITTERS):
        return None
    pieces = _SPLITTERS[level].split(part)
    if len(pieces) == 1:
        return _pieces(part, options, forms, level + 1)
    if len(pieces) > MAX_PIECES:
        return None
    found: list[str] = []
    for piece in pieces:
        ids = _pieces(piece, options, forms, level + 1)
        if ids is None:
            return None
        found.extend(ids)
    return found


@lru_cache(maxsize=1024)  # options are frozen: the same labels for every reply to a question
def _label_marker(options: tuple[Option, ...]) -> tuple[re.Pattern[str] | None, dict[str, int]]:
    """A pattern matching each label only one option has, and the number of that option."""
    owners: dict[str, set[int]] = {}
    for number, option in enumerate(options, start=1):
        for label in (option.id, *option.labels):
            form = strip_noise(fold(label))
            if form and _number(form) is None:
                owners.setdefault(form, set()).add(number)
    unique = sorted((form for form, numbers in owners.items() if len(numbers) == 1), key=len)
    if not unique:
        return None, {}
    labels = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, reversed(unique))) + r")(?!\w)")
    return labels, {form: min(owners[form]) for form in unique}


def _mark_labels(folded: str, options: Sequence[Option]) -> str:
    """The reply with each whole label replaced by "#n", so words inside labels never split."""
    labels, numbers = _label_marker(tuple(options))
    if labels is None:
        return folded
    return labels.sub(lambda match: f" #{numbers[match.group()]} ", folded)


def match_options(text: str, options: Sequence[Option]) -> tuple[str, ...] | None:
    """The ids a multiple-choice reply such as "2, 3" or "one a tri" picks, in option order."""
    if not options or len(text) > MAX_LENGTH * 4:
        return None
    folded = fold(text)
    if not folded or len(folded) > MAX_LENGTH:
        return None
    forms = _all_forms(tuple(options))
    whole = _pick(folded, options, forms)
    if whole is not None:
        return (whole,)
    found = _pieces(_mark_labels(folded, options), options, forms, 0)
    if not found:
        return None
    picked = set(found)
    return tuple(dict.fromkeys(option.id for option in options if option.id in picked))


def _folded_set(words: Iterable[str]) -> frozenset[str]:
    """The words, folded."""
    return frozenset(fold(word) for word in words)


YES_WORDS = _folded_set(
    (
        *("yes", "y", "yeah", "yea", "yep", "yup", "ok", "okay", "sure", "aye", "yes please"),
        *("ie", "ia", "iawn", "do", "ydw", "ydy", "ydyn", "oes", "cytuno", "ie plis"),
        *("👍", "✅", "✔"),
    )
)
NO_WORDS = _folded_set(
    (
        *("no", "n", "nope", "nah", "no thanks", "no thank you"),
        *("na", "nac ydw", "nac ydy", "nac ydyn", "nac oes", "naddo", "dim diolch", "na diolch"),
        *("👎", "❌"),
    )
)


def yes_no(text: str) -> bool | None:
    """True for yes, False for no, in English or Welsh; None if it is neither or both."""
    if len(text) > MAX_LENGTH:
        return None
    forms = _forms(_SKIN_TONES.sub("", text))
    yes, no = bool(forms & YES_WORDS), bool(forms & NO_WORDS)
    return yes if yes != no else None
