"""What a family would receive over the coming weeks: for staff and `content preview`."""

from __future__ import annotations

from datetime import date, timedelta

from conversations.content.library import Tip, TipLibrary, tip_for


def preview(
    library: TipLibrary,
    *,
    birth_date: date | None,
    due_date: date | None,
    start: date,
    weeks: int,
    tip_weekday: int = 1,
    lang: str = "en",
) -> list[tuple[date, Tip]]:
    """Each tip day (Monday=0) from `start` for `weeks` weeks with the tip sent then, each once.

    `lang` is the family's language: it does not change which tips go out (a tip without it
    falls back to English through `Tip.text`), so callers render `tip.text(lang)`.
    """
    if not 0 <= tip_weekday <= 6:
        raise ValueError(f"tip_weekday must be 0 (Monday) to 6 (Sunday), not {tip_weekday}")
    if weeks < 0:
        raise ValueError(f"weeks must be 0 or more, not {weeks}")
    first = start + timedelta(days=(tip_weekday - start.weekday()) % 7)
    schedule: list[tuple[date, Tip]] = []
    seen: set[str] = set()
    for n in range(weeks):
        day = first + timedelta(weeks=n)
        tip = tip_for(library, day, birth_date, due_date)
        if tip is not None and tip.id not in seen:
            seen.add(tip.id)
            schedule.append((day, tip))
    return schedule
