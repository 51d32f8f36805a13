"""The event form: what staff typed, turned into an `Event` by the same validator as the CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from admin.auth import N_
from conversations.consultations.checks import CHANNELS, ID
from conversations.consultations.model import Texts, format_duration
from conversations.events.model import DEFAULT_REMINDERS, Event
from conversations.events.validate import validate
from conversations.types import Community

TEXTS = ("title", "description", "venue")
# Reminder choices offered as checkboxes (an event may carry others, from a YAML file).
REMINDER_CHOICES = ("P7D", "P1D", "PT2H", "PT1H")
MAX_AGE = 72
WHEN = N_("Give a date like 2027-03-09 and a time like 10:00.")
NEEDED = N_("This community needs this text in each language it speaks.")
# Validator paths -> the form field to show the problem beside.
FIELD_OF = {
    "id": "id",
    "community": "community",
    "title": "title_en",
    "description": "description_en",
    "venue": "venue_en",
    "starts_at": "start_time",
    "ends_at": "end_time",
    "capacity": "capacity",
    "audience": "age_min",
    "reminders": "reminders",
}


@dataclass(frozen=True, slots=True)
class FormProblem:
    """A problem beside a field: a catalog message, and the validator's own words if any."""

    field: str
    msgid: str
    detail: str = ""


@dataclass(frozen=True)
class EventDraft:
    """The form as typed: every value a string, so it can be shown again unchanged."""

    id: str = ""
    community: str = ""
    texts: Mapping[str, str] = field(default_factory=dict)  # "title_cy" -> text
    start_date: str = ""
    start_time: str = ""
    end_date: str = ""
    end_time: str = ""
    capacity: str = ""
    reminders: tuple[str, ...] = tuple(format_duration(r) for r in DEFAULT_REMINDERS)
    age_min: str = ""
    age_max: str = ""
    language: str = ""
    channel: str = ""

    def text(self, name: str, lang: str) -> str:
        return self.texts.get(f"{name}_{lang}", "")


def from_form(
    form: Mapping[str, str], reminders: Sequence[str], languages: Sequence[str]
) -> EventDraft:
    """The draft from posted fields (`reminders` are the ticked boxes)."""

    def value(name: str) -> str:
        return str(form.get(name, "")).strip()

    texts = {f"{n}_{lang}": value(f"{n}_{lang}") for n in TEXTS for lang in languages}
    return EventDraft(
        id=value("id").lower(),
        community=value("community"),
        texts=texts,
        start_date=value("start_date"),
        start_time=value("start_time"),
        end_date=value("end_date"),
        end_time=value("end_time"),
        capacity=value("capacity"),
        reminders=tuple(dict.fromkeys(r.strip() for r in reminders if r.strip())),
        age_min=value("age_min"),
        age_max=value("age_max"),
        language=value("language"),
        channel=value("channel"),
    )


def of_event(event: Event, timezone: str) -> EventDraft:
    """The draft that shows an existing event in the form, times in the community's zone."""
    zone = ZoneInfo(timezone)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    ages = event.audience.child_age_months
    texts = {
        f"{name}_{lang}": words
        for name, values in zip(TEXTS, event.texts(), strict=True)
        for lang, words in values.items()
    }
    return EventDraft(
        id=event.id,
        community=event.community,
        texts=texts,
        start_date=start.date().isoformat(),
        start_time=f"{start:%H:%M}",
        end_date=end.date().isoformat(),
        end_time=f"{end:%H:%M}",
        capacity="" if event.capacity is None else str(event.capacity),
        reminders=tuple(format_duration(r) for r in event.reminders),
        age_min="" if ages is None else str(ages[0]),
        age_max="" if ages is None else str(ages[1]),
        language=event.audience.language or "",
        channel=event.audience.channel or "",
    )


def suggest_id(title: str, start_date: str) -> str:
    """A slug from the English title and the date: "rhyme-time-2027-03-09"."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:37].strip("-")
    return "-".join(part for part in (slug, start_date) if part)


def _moment(day: str, clock: str, zone: ZoneInfo) -> datetime | None:
    """The local date and time, or None if either is not written right."""
    try:
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), zone)
    except ValueError:
        return None
    return moment


def _exists(moment: datetime) -> bool:
    """False for a time skipped when the clocks go forward."""
    back = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return back.replace(tzinfo=None) == moment.replace(tzinfo=None)


def _fixed(moment: datetime) -> datetime:
    """The same instant at its own fixed UTC offset, as an event file writes it. Arithmetic on
    a ZoneInfo datetime is wall-clock arithmetic: an hour added to 00:00 on the night the
    clocks go forward gave 01:00, which never happens there (the end is 02:00)."""
    return moment.astimezone(timezone(moment.utcoffset() or timedelta(0)))


def _whole(text: str) -> int | None:
    return int(text) if re.fullmatch(r"[0-9]{1,6}", text) else None


def parse(
    draft: EventDraft, community: Community, languages: Sequence[str]
) -> tuple[Event | None, list[FormProblem]]:
    """The event, or None and the problems to show; never raises."""
    problems: list[FormProblem] = []
    zone = ZoneInfo(community.timezone)

    def problem(name: str, msgid: str) -> None:
        problems.append(FormProblem(name, msgid))

    texts: dict[str, Texts] = {}
    for name in TEXTS:
        given = {lang: draft.text(name, lang) for lang in languages if draft.text(name, lang)}
        if name == "venue" and "en" in given:  # a place name is often the same in each language
            given = {lang: given.get(lang, given["en"]) for lang in community.languages} | given
        for lang in community.languages:
            if lang not in given:
                problem(f"{name}_{lang}", NEEDED)
        texts[name] = given
    event_id = draft.id or suggest_id(draft.text("title", "en"), draft.start_date)
    if not ID.fullmatch(event_id):
        problem("id", N_("Use 1 to 48 lower-case letters, digits, hyphens or underscores."))
    starts = _moment(draft.start_date, draft.start_time, zone)
    ends = _moment(draft.end_date or draft.start_date, draft.end_time, zone)
    for moment, name in ((starts, "start_time"), (ends, "end_time")):
        if moment is None:
            problem(name, WHEN)
        elif not _exists(moment):
            problem(name, N_("That time does not exist here: the clocks go forward then."))
    if starts is not None and ends is not None and ends <= starts:
        problem("end_time", N_("The end should be after the start."))
    capacity = _whole(draft.capacity)
    if draft.capacity and not capacity:
        problem("capacity", N_("Give a whole number of places, or leave it empty for no limit."))
    ages = (_whole(draft.age_min), _whole(draft.age_max))
    if (draft.age_min or draft.age_max) and not (
        ages[0] is not None and ages[1] is not None and ages[0] <= ages[1] <= MAX_AGE
    ):
        problem("age_min", N_("Give both ages in months, from 0 to 72, the youngest first."))
    if draft.language not in ("", *community.languages):
        problem("language", N_("Choose one of the community's languages."))
    if draft.channel not in ("", *CHANNELS):
        problem("channel", N_("Choose SMS or Telegram."))
    if problems or starts is None or ends is None:
        return None, problems
    audience = {
        "child_age_months": list(ages) if draft.age_min else None,
        "language": draft.language or None,
        "channel": draft.channel or None,
    }
    data = {
        "id": event_id,
        "community": community.id,
        **texts,
        "starts_at": _fixed(starts),
        "ends_at": _fixed(ends),
        "capacity": capacity,
        "audience": audience,
        "reminders": list(draft.reminders),
    }
    event, found = validate(data, lambda _path: None, community.languages, [community.id])
    for p in found:
        name = FIELD_OF.get(re.split(r"[.\[]", p.path)[0], "id")
        problems.append(FormProblem(name, N_("Check this."), p.message))
    return event, problems
