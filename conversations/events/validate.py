"""Check a loaded event YAML mapping; report every problem with its line and path.

The field checks (ids, texts, audience, dates, unknown keys) are the consultations' `Checker`.
Event ids are at most 48 characters (`checks.ID`), so RSVP button data `e:<id>:maybe` is at
most 56 bytes, within Telegram's 64.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from conversations.consultations.checks import ID, Checker, Lines, Problem
from conversations.consultations.model import Texts, parse_duration
from conversations.events.model import DEFAULT_REMINDERS, LONDON, Event

__all__ = ["Problem", "validate"]

TOP_KEYS = (
    "id",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue",
    "community",
    "capacity",
    "audience",
    "reminders",
)
REQUIRED = ("id", "title", "description", "starts_at", "ends_at", "venue", "community")
SHAPE = f"the file should be a mapping with {', '.join(REQUIRED[:-1])} and {REQUIRED[-1]}"
MAX_REMINDERS = 3
LONGEST_REMINDER, LONGEST = timedelta(weeks=8), "P8W (8 weeks)"


def validate(
    data: Mapping[str, Any],
    lines: Lines,
    languages: Sequence[str] = ("en", "cy"),
    communities: Sequence[str] | None = None,
) -> tuple[Event | None, list[Problem]]:
    """The event, or None and every problem (sorted by line); never raises.

    `languages` must all be present in every text; `communities`, when given, are the ids the
    event's community may be.
    """
    checker = _EventChecker(lines, tuple(languages), communities)
    event = checker.event(data)
    problems = sorted(checker.problems, key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else event), problems


class _EventChecker(Checker):
    def __init__(
        self, lines: Lines, languages: tuple[str, ...], communities: Sequence[str] | None
    ) -> None:
        super().__init__(lines, languages)
        self.communities = communities

    def event(self, data: Mapping[str, Any]) -> Event | None:
        if not isinstance(data, Mapping):
            self.add("", SHAPE)
            return None
        self.keys(data, TOP_KEYS, "")
        for key in REQUIRED:
            if key not in data:
                self.add(key, f"missing required key {key!r}")
            elif data[key] is None:
                self.add(key, f"{key} is empty")
        data = {key: value for key, value in data.items() if value is not None}
        eid = self.ident(data, "")
        title, description = self.text(data, "title", ""), self.text(data, "description", "")
        starts, ends = self.local(data, "starts_at"), self.local(data, "ends_at")
        if starts is not None and ends is not None and ends <= starts:
            self.add("ends_at", "ends_at should be after starts_at")
        venue = self.venue(data)
        community = self.community(data.get("community"))
        capacity = self.capacity(data.get("capacity"))
        audience = self.audience(data.get("audience"))
        if community and audience and audience.community not in (None, community):
            self.add(
                "audience.community",
                f"{audience.community!r} is not the event's community {community!r}:"
                " leave it out, the event's community is its audience",
            )
        reminders = self.before_start(data.get("reminders"))
        if (
            self.problems
            or eid is None
            or title is None
            or description is None
            or starts is None
            or ends is None
            or venue is None
            or community is None
            or audience is None
        ):
            return None
        return Event(
            eid, title, description, starts, ends, venue, community, capacity, audience, reminders
        )

    def local(self, data: Mapping[str, Any], key: str) -> datetime | None:
        """An aware date and time whose offset is London's at that moment."""
        moment = self.moment(data, key)
        if moment is None:
            return None
        try:
            london = moment.astimezone(LONDON)
        except (OverflowError, ValueError):
            self.add(key, f"{moment.isoformat()} is out of range")
            return None
        if london.utcoffset() == moment.utcoffset():
            return moment
        meant = moment.replace(tzinfo=LONDON)
        if meant.utcoffset() == moment.utcoffset():  # 01:30 on the night the clocks go forward
            self.add(key, f"there is no {moment:%H:%M} in London on {moment:%Y-%m-%d}")
        else:
            self.add(
                key,
                f"the UTC offset {_offset(moment)} is not London's on {moment:%Y-%m-%d}"
                f" ({_offset(meant)}): for {moment:%H:%M} London time write"
                f" {meant.isoformat()}",
            )
        return None

    def venue(self, data: Mapping[str, Any]) -> Texts | None:
        """Language -> text, or one text for every language (a place name often is)."""
        value = data.get("venue")
        if isinstance(value, str) and value.strip():
            return dict.fromkeys(self.languages, value)
        if isinstance(value, str):
            self.add("venue", "should be non-empty text, or a mapping of language to text")
            return None
        return self.text(data, "venue", "")

    def community(self, value: object) -> str | None:
        if value is None:
            return None  # missing: already reported
        if not isinstance(value, str) or not ID.fullmatch(value):
            self.add("community", f"{value!r} is not a community id like bettws")
        elif self.communities is not None and value not in self.communities:
            close = difflib.get_close_matches(value, self.communities, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.add("community", f"{value!r} is not a community here{hint}")
        else:
            return value
        return None

    def capacity(self, value: object) -> int | None:
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        self.add("capacity", f"{value!r} should be a whole number of places, at least 1")
        return None

    def before_start(self, value: object) -> tuple[timedelta, ...]:
        """Up to three positive durations before the start; P1D and PT2H when not given."""
        if value is None:
            return DEFAULT_REMINDERS
        if not isinstance(value, list):
            self.add("reminders", "should be a list of ISO 8601 durations, like [P1D, PT2H]")
            return ()
        if len(value) > MAX_REMINDERS:
            self.add("reminders", f"at most {MAX_REMINDERS} reminders, not {len(value)}")
        found: dict[timedelta, int] = {}
        for k, item in enumerate(value):
            path = f"reminders[{k}]"
            try:
                delta = parse_duration(item)
            except ValueError as error:
                self.add(path, str(error))
                continue
            if delta <= timedelta(0):
                self.add(path, f"{item!r} should be longer than zero")
            elif delta > LONGEST_REMINDER:
                self.add(path, f"{item!r} is too early: at most {LONGEST} before the start")
            elif delta in found:
                twin = value[found[delta]]
                same = "is there twice" if twin == item else f"is the same as {twin!r}"
                self.add(path, f"{item!r} {same}")
            found.setdefault(delta, k)
        return tuple(sorted(found, reverse=True))


def _offset(moment: datetime) -> str:
    text = moment.strftime("%z")  # +0100
    return f"{text[:3]}:{text[3:]}"
