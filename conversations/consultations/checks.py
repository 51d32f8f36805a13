"""Checks of single consultation fields (ids, texts, audience, dates), shared by `validate`."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeGuard, cast

from babel import Locale

from conversations.consultations.model import Audience, Texts, parse_duration

ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
AUDIENCE_KEYS = ("community", "language", "channel", "child_age_months")
CHANNELS = ("sms", "telegram")
MAX_AGE_MONTHS = 72
MAX_REMINDERS = 2
EXAMPLE_TIME = "like 2027-03-01T09:00:00+00:00"
Lines = Callable[[str], int | None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a consultation file."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else ""
        if self.path:
            where = f"{where} ({self.path})" if where else self.path
        return f"{where}: {self.message}" if where else self.message


def language_name(lang: str) -> str:
    """The English name of a language code ("Welsh" for cy), or the code itself."""
    try:
        return str(Locale.parse(lang).english_name)
    except Exception:  # babel raises several kinds for codes it does not know
        return lang


def join(path: str, key: object) -> str:
    """The dotted path of `key` inside `path`."""
    return f"{path}.{key}" if path else str(key)


def parent(path: str) -> str:
    """The path one level up: `questions[2].text` -> `questions[2]` -> `questions` -> ``."""
    return path[: max(path.rfind("."), path.rfind("["), 0)]


def is_number(value: object) -> TypeGuard[int | float]:
    """A finite int or float, and not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class Checker:
    """Collects problems, each with the line of its path (or of the nearest ancestor)."""

    def __init__(self, lines: Lines, languages: tuple[str, ...]) -> None:
        self.lines, self.languages = lines, languages
        self.problems: list[Problem] = []

    def line(self, path: str) -> int | None:
        """The line of `path`, or of its nearest ancestor the file has."""
        while True:
            found = self.lines(path)
            if found is not None or not path:
                return found
            path = parent(path)

    def where(self, path: str) -> str:
        """ "on line N" for `path`, or "at PATH" when the line is unknown."""
        found = self.line(path)
        return f"on line {found}" if found is not None else f"at {path}"

    def add(self, path: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(self.line(path), path, message))

    def keys(self, data: Mapping[Any, Any], allowed: Sequence[str], path: str) -> None:
        """Refuse keys outside `allowed`, suggesting a close one."""
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.add(join(path, key), f"unknown key {str(key)!r}{hint}")

    def required(self, data: Mapping[Any, Any], keys: Sequence[str], path: str) -> None:
        """Report each of `keys` missing from `data`."""
        for key in keys:
            if key not in data:
                self.add(join(path, key), f"missing required key {key!r}")

    def ident(self, data: Mapping[Any, Any], path: str) -> str | None:
        """`data["id"]` if it is a valid id (whole numbers are read as text)."""
        value = data.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str) and ID.fullmatch(value):
            return value
        if "id" in data:
            self.add(
                join(path, "id"),
                f"{value!r} is not a valid id: use 1-48 lower-case letters, digits, '-' or '_',"
                " starting with a letter or digit",
            )
        return None

    def text(self, data: Mapping[Any, Any], key: str, path: str) -> Texts | None:
        """`data[key]` as language -> text, with every required language present."""
        if key not in data:
            return None
        value, path = data[key], join(path, key)
        if not isinstance(value, Mapping):
            self.add(path, "should be a mapping of language to text, like {en: ..., cy: ...}")
            return None
        for lang, words in value.items():
            if not isinstance(lang, str) or not isinstance(words, str) or not words.strip():
                self.add(join(path, lang), f"the {str(lang)!r} text should be non-empty text")
        for lang in self.languages:
            if lang not in value:
                self.add(path, f"missing {language_name(lang)} ({lang}) text")
        return cast(Texts, dict(value))

    def audience(self, value: object) -> Audience | None:
        """Who is asked; no audience means every active contact."""
        if value is None:
            return Audience()
        if not isinstance(value, Mapping):
            self.add("audience", f"should be a mapping with {', '.join(AUDIENCE_KEYS)}")
            return None
        self.keys(value, AUDIENCE_KEYS, "audience")
        community, language = value.get("community"), value.get("language")
        channel = value.get("channel")
        if community is not None and not (isinstance(community, str) and ID.fullmatch(community)):
            self.add("audience.community", f"{community!r} is not a community id like bettws")
        if language is not None and language not in self.languages:
            self.add("audience.language", f"{language!r} is not one of {', '.join(self.languages)}")
        if channel is not None and channel not in CHANNELS:
            self.add("audience.channel", f"{channel!r} is not one of {', '.join(CHANNELS)}")
        return Audience(community, language, channel, self.ages(value.get("child_age_months")))

    def ages(self, value: object) -> tuple[int, int] | None:
        """`child_age_months: [min, max]` with 0 <= min <= max <= 72."""
        path = "audience.child_age_months"
        if value is None:
            return None
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(a, int) and not isinstance(a, bool) for a in value)
        ):
            self.add(path, "should be [min, max] in months, like [0, 60]")
        elif not 0 <= value[0] <= value[1] <= MAX_AGE_MONTHS:
            self.add(path, f"{value} should have 0 <= min <= max <= {MAX_AGE_MONTHS}")
        else:
            return (value[0], value[1])
        return None

    def moment(self, data: Mapping[Any, Any], key: str) -> datetime | None:
        """`data[key]` as a date and time with a UTC offset (a YAML timestamp or ISO text)."""
        value = data.get(key)
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                self.add(key, f"{value!r} is not an ISO 8601 date and time, {EXAMPLE_TIME}")
                return None
        if isinstance(value, datetime):
            if value.utcoffset() is not None:
                return value
            self.add(key, f"needs a UTC offset (+01:00, or Z for UTC), {EXAMPLE_TIME}")
        elif isinstance(value, date):
            self.add(key, f"needs a time and a UTC offset, {EXAMPLE_TIME}")
        elif value is not None:
            self.add(key, f"should be a date and time, {EXAMPLE_TIME}")
        return None

    def reminders(self, value: object) -> tuple[timedelta, ...]:
        """At most two positive ISO 8601 durations after launch."""
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add("reminders", "should be a list of ISO 8601 durations, like [P2D, P5D]")
            return ()
        if len(value) > MAX_REMINDERS:
            self.add("reminders", f"at most {MAX_REMINDERS} reminders, not {len(value)}")
        found: list[timedelta] = []
        for k, item in enumerate(value):
            try:
                delta = parse_duration(item)
            except ValueError as error:
                self.add(f"reminders[{k}]", str(error))
                continue
            if delta <= timedelta(0):
                self.add(f"reminders[{k}]", f"{item!r} should be longer than zero")
            found.append(delta)
        return tuple(found)
