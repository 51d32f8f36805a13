"""An event as an iCalendar (.ics) file, sent to a parent who says yes on Telegram.

Times are written as local London times (`DTSTART;TZID=Europe/London:20271030T100000`) with a
VTIMEZONE that icalendar derives from the tz database for the year(s) of the event. Apple
Calendar, Google Calendar and Samsung Calendar recognise the Olson name and use their own rules;
Outlook and stricter importers read the VTIMEZONE, which RFC 5545 requires for every TZID. The
event therefore stays at 10:00 London time across the clock changes, and a parent who edits it
sees London times rather than UTC. The one exception: a time in the repeated hour after the
clocks go back in October, which RFC 5545 reads as its first occurrence, is written in UTC
when the second occurrence is meant. Only the event's texts (from its YAML) appear in the file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar, Timezone
from icalendar import Event as VEvent

from conversations.events.model import LONDON, Event, pick

PRODID = "-//Early Learning Communities//elc-bot//EN"
UID_DOMAIN = "elc-bot"


def calendar_file(event: Event, lang: str, stamp: datetime, sequence: int = 0) -> bytes:
    """The event in `lang` as .ics bytes; the same arguments always give the same bytes.

    `stamp` (aware) is the DTSTAMP, when the file was made; raise `sequence` each time the event
    changes so calendars update the copy they already hold (same UID).
    """
    start, end = event.starts_at.astimezone(LONDON), event.ends_at.astimezone(LONDON)
    vevent = VEvent()
    vevent.add("uid", f"{event.id}@{UID_DOMAIN}")
    vevent.add("dtstamp", stamp.astimezone(UTC))
    vevent.add("sequence", sequence)
    vevent.add("dtstart", _unambiguous(start))
    vevent.add("dtend", _unambiguous(end))
    vevent.add("summary", pick(event.title, lang))
    vevent.add("location", pick(event.venue, lang))
    vevent.add("description", pick(event.description, lang))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # The whole of each year the event touches: right even if a parent moves it a few months.
    first, last = date(start.year, 1, 1), date(end.year + 1, 1, 1)
    calendar.add_component(Timezone.from_tzinfo(LONDON, str(LONDON), first, last))
    calendar.add_component(vevent)
    ical: bytes = calendar.to_ical()  # icalendar leaves this unannotated
    return ical


def _unambiguous(local: datetime) -> datetime:
    """`local`, or UTC for the second 01:xx of the night the clocks go back.

    RFC 5545 reads a repeated local time as its first occurrence, so the second one (fold 1)
    can only be written in UTC.
    """
    return local.astimezone(UTC) if local.fold else local


def file_name(event: Event) -> str:
    """A name for the attachment: `<event id>.ics`."""
    return f"{event.id}.ics"
