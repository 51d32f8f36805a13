"""Dates as parents type them, in English or Welsh, day first (UK order)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from conversations.parsing.text import fold

Prefer = Literal["past", "future"]
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_LENGTH = 500

MONTHS: dict[str, int] = {
    # English, with the usual abbreviations and misspellings.
    **dict.fromkeys(("january", "jan"), 1),
    **dict.fromkeys(("february", "feb", "febuary", "feburary"), 2),
    **dict.fromkeys(("march", "mar"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    "may": 5,
    **dict.fromkeys(("june", "jun"), 6),
    **dict.fromkeys(("july", "jul"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sep", "sept"), 9),
    **dict.fromkeys(("october", "oct"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("december", "dec"), 12),
    # Welsh, with soft and nasal mutations and common abbreviations.
    **dict.fromkeys(("ionawr", "ion"), 1),
    **dict.fromkeys(("chwefror", "chwef"), 2),
    **dict.fromkeys(("mawrth", "fawrth", "maw"), 3),
    **dict.fromkeys(("ebrill", "ebr"), 4),
    **dict.fromkeys(("mai", "fai"), 5),
    **dict.fromkeys(("mehefin", "fehefin", "meh"), 6),
    **dict.fromkeys(("gorffennaf", "orffennaf", "ngorffennaf", "gorffenaf", "gorff"), 7),
    "awst": 8,
    **dict.fromkeys(("medi", "fedi"), 9),
    "hydref": 10,
    **dict.fromkeys(("tachwedd", "dachwedd", "nhachwedd", "tach"), 11),
    **dict.fromkeys(("rhagfyr", "ragfyr", "rhag"), 12),
}
RELATIVE: dict[str, int] = {
    **dict.fromkeys(("today", "heddiw"), 0),
    **dict.fromkeys(("yesterday", "ddoe"), -1),
    **dict.fromkeys(("tomorrow", "yfory"), 1),
}

_MONTH = "(?P<m>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?(?![^\W\d_])"
_DAY = r"(?<![\w./-])(?P<d>\d{1,2})(?:st|nd|rd|th|af|il|ydd|edd|ed|fed|eg|ain)?(?![^\W_])"
_YEAR4 = r"(?<!\d)(?P<y>\d{4})(?![\d:]|[./-]\d)"
_YEAR = r"(?<!\d)(?P<y>\d{4}|'?\d{2})(?![^\W_]|:|[./-]\d)"
_GAP = r"[\s,./-]*"
_OF = _GAP + r"(?:(?:of|o)\s+)?(?:(?:fis|mis)\s+)?"
_THE = r"(?:(?:the|y)\s+)?"
_NUM_BEFORE = r"(?<!\d)(?<!\d[/.-])"
_NUM_AFTER = r"(?!\d)(?![/.-]\d)"
_STRAY_NUMBER = _GAP + r"'?\d+(?![\d:]|[^\W\d_])"
_WEEKDAY_MAWRTH = re.compile(r"(?<![^\W\d_])(?:dydd|nos)\s+(?:mawrth|fawrth)(?![^\W\d_])")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read from text and how precisely it was given."""

    value: date
    precision: Literal["day", "month"]


@dataclass(frozen=True, slots=True)
class _Found:
    """Parts of a date as matched; None where not given."""

    day: int | None
    month: int | None
    year: int | None


def _year(raw: str) -> int:
    """A four-digit year; two digits (optionally after an apostrophe) mean 20yy."""
    digits = raw.lstrip("'")
    return 2000 + int(digits) if len(digits) == 2 else int(digits)


def _textual(match: re.Match[str]) -> _Found:
    """Parts from a pattern with named groups d, m (a month name) and y."""
    groups = match.groupdict()
    day, year = groups.get("d"), groups.get("y")
    return _Found(
        int(day) if day else None,
        MONTHS[match["m"]],
        _year(year) if year else None,
    )


def _numeric(match: re.Match[str]) -> _Found:
    """Parts from a pattern with numeric named groups d, m and y."""
    groups = match.groupdict()
    day, year = groups.get("d"), groups.get("y")
    return _Found(
        int(day) if day else None,
        int(match["m"]),
        _year(year) if year else None,
    )


def _broken(_match: re.Match[str]) -> _Found:
    """No parts: a day and month followed by a number that cannot be their year."""
    return _Found(None, None, None)


_Reader = Callable[[re.Match[str]], _Found]
# Most specific first: each match is blanked out so shorter forms cannot re-read it.
_STRICT: tuple[tuple[re.Pattern[str], _Reader], ...] = tuple(
    (re.compile(pattern), reader)
    for pattern, reader in (
        (_DAY + _OF + _MONTH + _GAP + _YEAR, _textual),
        (r"(?<![^\W\d_])" + _MONTH + _GAP + _THE + _DAY + _GAP + _YEAR4, _textual),
        (_YEAR4 + _GAP + _MONTH + _GAP + _THE + _DAY, _textual),
        (
            _NUM_BEFORE
            + r"(?P<y>\d{4})(?P<s>[/.-])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})"
            + _NUM_AFTER,
            _numeric,
        ),
        (
            _NUM_BEFORE + r"(?P<d>\d{1,2})(?P<s>[/.-])(?P<m>\d{1,2})"
            r"(?:(?P=s)|[\s,]+(?=\d{4}))(?P<y>\d{4}|\d{2})" + _NUM_AFTER,
            _numeric,
        ),
        (r"(?<!\d)(?P<d>\d{1,2}) (?P<m>\d{1,2}) (?P<y>\d{4})(?!\d)", _numeric),
        (r"(?<![^\W\d_])" + _MONTH + _GAP + _YEAR4, _textual),
        (_NUM_BEFORE + r"(?P<m>\d{1,2})[/.-](?P<y>\d{4})" + _NUM_AFTER, _numeric),
        (_NUM_BEFORE + r"(?P<y>\d{4})[/-](?P<m>\d{1,2})" + _NUM_AFTER, _numeric),
        (_DAY + _OF + _MONTH + _STRAY_NUMBER, _broken),
        (r"(?<![^\W\d_])" + _MONTH + _GAP + _THE + _DAY + _STRAY_NUMBER, _broken),
        (_DAY + _OF + _MONTH, _textual),
        (r"(?<![^\W\d_])" + _MONTH + _GAP + _THE + _DAY, _textual),
    )
)
# Patterns that need a month or weekday name, so a letter: skipped for "12/03/2025".
NAMED = frozenset(pattern for pattern, _reader in _STRICT if _MONTH in pattern.pattern)
_LETTER = re.compile("[^\\W\\d_]")
# Bare "3.15" may be a time or a weight: read last, and ignored when impossible as a date.
_LENIENT = re.compile(
    _NUM_BEFORE + r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})" + _NUM_AFTER + r"(?!\s*\d|[^\W\d_])"
)


def _safe_date(year: int, month: int, day: int) -> date | None:
    """The date, or None if it does not exist or is out of range."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day: int, today: date, prefer: Prefer) -> date | None:
    """The most recent such date on or before today, or the next on or after it."""
    step = -1 if prefer == "past" else 1
    for offset in range(9):  # 29 February can be eight years from the last one.
        candidate = _safe_date(today.year + step * offset, month, day)
        if candidate is not None and (candidate <= today if step < 0 else candidate >= today):
            return candidate
    return None


def _resolve(found: _Found, today: date, prefer: Prefer) -> ParsedDate | None:
    """The date the parts describe, or None if impossible."""
    if found.month is None:
        return None
    if found.day is None:
        if found.year is None:
            return None
        month_only = _safe_date(found.year, found.month, 15)
        return None if month_only is None else ParsedDate(month_only, "month")
    if found.year is None:
        if _safe_date(2000, found.month, found.day) is None:  # 2000 was a leap year.
            return None
        inferred = _infer_year(found.month, found.day, today, prefer)
        return None if inferred is None else ParsedDate(inferred, "day")
    exact = _safe_date(found.year, found.month, found.day)
    return None if exact is None else ParsedDate(exact, "day")


def _blank(match: re.Match[str]) -> str:
    """Spaces as long as the match, so positions and word boundaries stay put."""
    return " " * len(match.group())


def _blanked(text: str, matches: list[re.Match[str]]) -> str:
    """The text with each match replaced by `_blank`'s spaces."""
    pieces: list[str] = []
    at = 0
    for match in matches:
        start, end = match.span()
        pieces += (text[at:start], " " * (end - start))
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _read(text: str, today: date, prefer: Prefer) -> ParsedDate | None:
    """The one date the folded text gives, or None if none, several or an impossible one."""
    if text in RELATIVE:
        return ParsedDate(today + timedelta(days=RELATIVE[text]), "day")
    lettered = _LETTER.search(text) is not None
    remaining = _WEEKDAY_MAWRTH.sub(_blank, text) if lettered else text
    results: set[ParsedDate] = set()
    for pattern, reader in _STRICT:
        if not lettered and pattern in NAMED:
            continue
        matches = list(pattern.finditer(remaining))
        for match in matches:
            parsed = _resolve(reader(match), today, prefer)
            if parsed is None:
                return None
            results.add(parsed)
        if matches:  # blanked as `pattern.sub(_blank, …)` would, without matching again
            remaining = _blanked(remaining, matches)
    for match in _LENIENT.finditer(remaining):
        lenient = _resolve(_numeric(match), today, prefer)
        if lenient is not None:
            results.add(lenient)
    return results.pop() if len(results) == 1 else None


def parse_date(text: str, today: date, prefer: Prefer = "past") -> ParsedDate | None:
    """The date in a reply such as "12/03/2025" or "12fed o Fawrth", or None if unclear."""
    try:
        if len(text) > MAX_LENGTH * 4:
            return None
        folded = fold(text)
        if not folded or len(folded) > MAX_LENGTH:
            return None
        return _read(folded, today, prefer)
    except (ValueError, OverflowError, KeyError):
        return None
