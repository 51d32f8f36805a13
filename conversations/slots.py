"""When a household's tips are due: local weekday and time, computed DST-safely."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def next_slot(after: datetime, weekday: int, at: str, timezone: str) -> datetime:
    """The next local `weekday` (Monday 0) at `at` ("HH:MM"), strictly after `after`, in UTC."""
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    hour, minute = (int(part) for part in at.split(":"))
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    slot = datetime.combine(day, time(hour, minute), zone)
    if slot <= local:
        slot = datetime.combine(day + timedelta(days=7), time(hour, minute), zone)
    return slot.astimezone(UTC)


def local_week(day: date) -> str:
    """The ISO week of a local date, e.g. 2026-W11: the unit of the weekly tip cap."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
