"""An event as the engine sees it: validated, immutable, and JSON round-trippable."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date

from conversations.consultations.model import Audience, Texts, format_duration, parse_duration
from conversations.i18n import DATE_LOCALES

LONDON = ZoneInfo("Europe/London")  # every community's timezone (config/communities.yaml)
DEFAULT_REMINDERS = (timedelta(days=1), timedelta(hours=2))

Rsvp = Literal["yes", "maybe", "no"]
RSVP_ANSWERS: tuple[Rsvp, ...] = get_args(Rsvp)
# Telegram's limit on callback data. `e:<event id>:maybe` with the longest id the validator
# allows (48 characters) is 56 bytes, so every RSVP button fits.
CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Event:
    """One event; `audience.community` is always the event's own (filled in when None)."""

    id: str
    title: Texts
    description: Texts
    starts_at: datetime  # aware
    ends_at: datetime  # aware, after starts_at
    venue: Texts
    community: str
    capacity: int | None = None
    audience: Audience = field(default_factory=Audience)
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS  # before starts_at, longest first

    def __post_init__(self) -> None:
        if self.audience.community is None:
            audience = dataclasses.replace(self.audience, community=self.community)
            object.__setattr__(self, "audience", audience)
        elif self.audience.community != self.community:
            raise ValueError(f"an event in {self.community} has its audience there too")

    def texts(self) -> list[Texts]:
        """Every user-facing text: title, description and venue."""
        return [self.title, self.description, self.venue]

    def languages(self) -> tuple[str, ...]:
        """Languages present in every user-facing text, English first."""
        common = set.intersection(*(set(t) for t in self.texts()))
        return tuple(sorted(common, key=lambda lang: (lang != "en", lang)))

    def reminder_times(self) -> tuple[datetime, ...]:
        """When each reminder is due, earliest first."""
        return tuple(sorted(self.starts_at - before for before in self.reminders))

    def when_text(self, lang: str, *, with_year: bool = False, zone: tzinfo = LONDON) -> str:
        """A short local date and time range in `lang`.

        "Tuesday 9 March, 10:00–11:30" (en), "Dydd Mawrth 9 Mawrth, 10:00–11:30" (cy); an event
        ending on another day gives both days: "Saturday 30 October, 22:00 – Sunday 31 October,
        01:00". Times are 24-hour, as UK timetables and posters write them.
        """
        start, end = self.starts_at.astimezone(zone), self.ends_at.astimezone(zone)
        pattern = "EEEE d MMMM y" if with_year else "EEEE d MMMM"
        locale = DATE_LOCALES.get(lang, lang)
        day = format_date(start.date(), pattern, locale=locale)
        if end.date() == start.date():
            return f"{day}, {start:%H:%M}–{end:%H:%M}"
        last_day = format_date(end.date(), pattern, locale=locale)
        return f"{day}, {start:%H:%M} – {last_day}, {end:%H:%M}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict that `from_json` turns back into an equal event."""
        return {
            "id": self.id,
            "title": dict(self.title),
            "description": dict(self.description),
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "venue": dict(self.venue),
            "community": self.community,
            "capacity": self.capacity,
            "audience": audience_to_json(self.audience),
            "reminders": [format_duration(r) for r in self.reminders],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Event:
        """The event `to_json` described."""
        capacity = data.get("capacity")
        reminders = data.get("reminders")
        return cls(
            id=data["id"],
            title=dict(data["title"]),
            description=dict(data["description"]),
            starts_at=datetime.fromisoformat(data["starts_at"]),
            ends_at=datetime.fromisoformat(data["ends_at"]),
            venue=dict(data["venue"]),
            community=data["community"],
            capacity=None if capacity is None else int(capacity),
            audience=audience_from_json(data.get("audience") or {}),
            reminders=(
                DEFAULT_REMINDERS
                if reminders is None
                else tuple(parse_duration(r) for r in reminders)
            ),
        )


def pick(texts: Texts, lang: str) -> str:
    """The text in `lang`, else English, else any; "" when there is none."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def rsvp_data(event_id: str, answer: Rsvp) -> str:
    """The callback data of an RSVP button: `e:<event id>:<yes|maybe|no>`."""
    return f"e:{event_id}:{answer}"


def parse_rsvp(data: str) -> tuple[str, Rsvp] | None:
    """(event id, answer) from an RSVP button's callback data, or None if it is not one."""
    kind, _, rest = data.partition(":")
    event_id, _, answer = rest.rpartition(":")
    if kind != "e" or not event_id or answer not in RSVP_ANSWERS:
        return None
    return event_id, answer


def audience_to_json(audience: Audience) -> dict[str, Any]:
    """An audience as JSON: a mapping of its fields, ages as a list."""
    data = dataclasses.asdict(audience)
    ages = audience.child_age_months
    data["child_age_months"] = list(ages) if ages else None
    return data


def audience_from_json(data: Mapping[str, Any]) -> Audience:
    """The audience `audience_to_json` described (missing fields mean everyone)."""
    ages = data.get("child_age_months")
    names = [f.name for f in dataclasses.fields(Audience) if f.name != "child_age_months"]
    return Audience(
        **{name: data.get(name) for name in names},
        child_age_months=(int(ages[0]), int(ages[1])) if ages else None,
    )
