"""Check a whole tip spreadsheet before anything changes; report every problem by row and column."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, cast

from babel import Locale, UnknownLocaleError

from conversations.content.library import TOPICS, TRACK_WEEKS, Tip, Track, tip_week
from conversations.sms import (
    GSM7_MULTIPART_UNITS,
    GSM7_SINGLE_UNITS,
    UCS2_MULTIPART_UNITS,
    UCS2_SINGLE_UNITS,
    count_segments,
    encoding_traps,
    is_gsm7,
)

HEADER_ROW = 1
REQUIRED = ("id", "track", "week", "topic")  # plus text_en and a text_<lang> per language
ROUTINE_MAX = 64  # the database column's width
ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
WEEK_RE = re.compile(r"([+-]?\d+)(?:\.0*)?")  # "12", and "12.0" from a spreadsheet number
SEGMENT_BUDGET = {"en": 1}  # English is one GSM-7 SMS
OTHER_BUDGET = 3  # Welsh is usually UCS-2, and longer
YES, NO = frozenset({"yes", "true", "1"}), frozenset({"no", "false", "0", ""})
CHAR_NAMES = {"\t": "tab", "\r": "carriage return"}
K = TypeVar("K", str, tuple[str, int])


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem, where a person looks for it: the header is row 1, the first tip row 2."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.message}"


def parse_rows(
    rows: Sequence[Mapping[str, str | None]], languages: Sequence[str] = ("en", "cy")
) -> tuple[list[Tip], list[RowError]]:
    """Every tip, or every problem: a file with one bad row imports nothing."""
    if not rows:
        return [], [RowError(HEADER_ROW, "id", "the file has no tips")]
    checker = _Checker(tuple(dict.fromkeys(("en", *languages))))
    checker.header(rows)
    tips = [
        tip
        for number, raw in enumerate(rows, start=HEADER_ROW + 1)
        if (tip := checker.row(number, raw)) is not None
    ]
    return ([] if checker.errors else tips), checker.errors


def column_name(key: str) -> str:
    """A header as typed (' Text EN ') to its canonical name ('text_en')."""
    return re.sub(r"[\s-]+", "_", key.strip().lower())


@dataclass
class _Checker:
    """Collects every problem of one file while turning its rows into tips."""

    needed: tuple[str, ...]
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # canonical name -> key as given
    first_ids: dict[str, int] = field(default_factory=dict)
    first_stages: dict[tuple[str, int], int] = field(default_factory=dict)

    def error(self, row: int, column: str, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def header(self, rows: Sequence[Mapping[str, str | None]]) -> None:
        for key in dict.fromkeys(k for raw in rows for k in raw):
            if not isinstance(key, str) or not key.strip():
                continue  # csv.DictReader's overflow (None), or an unnamed column
            name = column_name(key)
            if name in self.columns:
                first = self.columns[name]
                self.error(HEADER_ROW, name, f"two columns {first!r} and {key!r}; keep one")
                continue
            self.columns[name] = key
        wanted = (*REQUIRED, *(f"text_{lang}" for lang in self.needed))
        for name in wanted:
            if name not in self.columns:
                self.error(HEADER_ROW, name, "missing column")

    def row(self, number: int, raw: Mapping[str, str | None]) -> Tip | None:
        row = {name: _clean(raw.get(key)) for name, key in self.columns.items()}
        if not any(row.values()):
            return None  # a blank line in a spreadsheet
        before = len(self.errors)
        for name in REQUIRED:
            if name in row and not row[name]:
                self.error(number, name, "empty")
        tip_id, track, week = self._id(number, row), self._track(number, row), None
        if row.get("week"):
            week = self._week(number, row["week"], track)
        topic = row.get("topic", "").lower()
        if topic and topic not in TOPICS:
            allowed = ", ".join(TOPICS)
            self.error(number, "topic", f"unknown topic {row['topic']!r}: use one of {allowed}")
        routine = row.get("routine", "")
        if len(routine) > ROUTINE_MAX:
            self.error(number, "routine", f"{len(routine)} characters; at most {ROUTINE_MAX}")
        texts, reviewed = self._texts(number, row), self._reviewed(number, row)
        if tip_id:
            self._once(number, "id", tip_id, self.first_ids, f"id {tip_id!r} is already used")
        if track and week is not None:
            stage, message = (track, week), f"a second {track} tip for week {week}"
            self._once(number, "week", stage, self.first_stages, message)
        if len(self.errors) > before or not (tip_id and track and week is not None and topic):
            return None
        return Tip(tip_id, cast(Track, track), week, topic, routine, texts, reviewed)

    def _once(self, number: int, column: str, key: K, first: dict[K, int], says: str) -> None:
        if key in first:
            self.error(number, column, f"{says} (first on row {first[key]})")
        else:
            first[key] = number

    def _id(self, number: int, row: Mapping[str, str]) -> str:
        tip_id = row.get("id", "")
        if tip_id and not ID_RE.fullmatch(tip_id):
            self.error(number, "id", f"{tip_id!r}: use up to 32 letters, digits, - or _")
            return ""
        return tip_id

    def _track(self, number: int, row: Mapping[str, str]) -> str:
        track = row.get("track", "").lower()
        if track and track not in TRACK_WEEKS:
            self.error(number, "track", f"unknown track {row['track']!r}: use pregnancy or child")
            return ""
        return track

    def _week(self, number: int, value: str, track: str) -> int | None:
        match = WEEK_RE.fullmatch(value)
        if match is None:
            self.error(number, "week", f"{value!r} is not a whole number")
            return None
        week = int(match.group(1))
        if track and week not in TRACK_WEEKS[track]:
            low, high = TRACK_WEEKS[track][0], TRACK_WEEKS[track][-1]
            self.error(number, "week", f"{week} is outside {low}-{high} for {track}")
            return None
        if track and tip_week(track, week) != week:
            self.error(number, "week", f"{week} is never sent: from 104, child tips use even weeks")
            return None
        return week

    def _texts(self, number: int, row: Mapping[str, str]) -> dict[str, str]:
        texts: dict[str, str] = {}
        for name, text in row.items():
            lang = name.removeprefix("text_")
            if lang == name or not lang:
                continue
            if not text:
                if lang in self.needed:
                    self.error(number, name, f"missing {_language(lang)} translation")
                continue
            for message in text_problems(lang, text):
                self.error(number, name, message)
            texts[lang] = text
        return texts

    def _reviewed(self, number: int, row: Mapping[str, str]) -> dict[str, bool]:
        reviewed: dict[str, bool] = {}
        for name, value in row.items():
            if name.startswith("reviewed_") and value.lower() not in YES | NO:
                self.error(number, name, f"{value!r}: use yes or no (blank means no)")
        for name in row:
            lang = name.removeprefix("text_")
            if lang != name and lang and lang != "en":
                reviewed[lang] = row.get(f"reviewed_{lang}", "").lower() in YES
        return reviewed


def text_problems(lang: str, text: str) -> list[str]:
    """What stops `text` (NFC, stripped) going out cheaply as an SMS in `lang` (1-based)."""
    problems: list[str] = []
    traps: dict[str, tuple[str, list[int]]] = {}
    for index, char, fix in encoding_traps(text):
        traps.setdefault(char, (fix, []))[1].append(index + 1)
    fixes = {char: fix for char, (fix, _) in traps.items()}
    fixed = "".join(fixes.get(char, char) for char in text if char != "\r")
    effect = "forces UCS-2" if is_gsm7(fixed) else "is not plain text"
    for char, (fix, positions) in traps.items():
        remedy = "remove it" if not fix else "use a plain space" if fix == " " else f"use {fix}"
        problems.append(f"{_describe(char)} at {_positions(positions)} {effect}; {remedy}")
    hidden: dict[str, list[int]] = {}
    foreign: dict[str, list[int]] = {}
    for position, char in enumerate(text, start=1):
        if char in traps or char == "\n":
            continue
        if unicodedata.category(char) in ("Cc", "Cf"):
            hidden.setdefault(char, []).append(position)
        elif lang == "en" and not is_gsm7(char):
            foreign.setdefault(char, []).append(position)
    for char, positions in hidden.items():
        what = "is a Windows line break" if char == "\r" else "is invisible"
        problems.append(f"{_describe(char)} at {_positions(positions)} {what}; remove it")
    for char, positions in foreign.items():
        problems.append(
            f"{_describe(char)} at {_positions(positions)} is not in the GSM-7 alphabet;"
            " English tips must be GSM-7 (160 characters in one SMS)"
        )
    budget = SEGMENT_BUDGET.get(lang, OTHER_BUDGET)
    count = count_segments(fixed)
    if count.segments > budget:
        gsm = count.encoding == "GSM-7"
        single, multi = (
            (GSM7_SINGLE_UNITS, GSM7_MULTIPART_UNITS)
            if gsm
            else (UCS2_SINGLE_UNITS, UCS2_MULTIPART_UNITS)
        )
        limit = single if budget == 1 else multi * budget
        problems.append(
            f"{count.units} characters ({count.encoding}) make {count.segments} SMS segments;"
            f" the limit is {budget} ({limit} characters)"
        )
    return problems


def _clean(value: object) -> str:
    return "" if value is None else unicodedata.normalize("NFC", str(value)).strip()


def _describe(char: str) -> str:
    name = CHAR_NAMES.get(char) or unicodedata.name(char, "control character").lower()
    if char.isprintable() and not char.isspace() and unicodedata.category(char) != "Cf":
        return f"{char} ({name})"
    return f"U+{ord(char):04X} ({name})"


def _positions(positions: list[int]) -> str:
    if len(positions) == 1:
        return f"position {positions[0]}"
    return "positions " + ", ".join(map(str, positions))


def _language(lang: str) -> str:
    try:
        name = Locale.parse(lang).get_display_name("en")
    except (ValueError, UnknownLocaleError):
        return lang
    return str(name) if name else lang
