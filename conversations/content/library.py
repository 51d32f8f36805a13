"""The tip library, and which tip a child is due on a given day.

Content is date-anchored: a tip belongs to a week of pregnancy or a week of life, and what is
due is computed fresh from the due date or birth date, never from a counter that drifts.

Pregnancy: with ``d = (due_date - day).days``, the week is ``40 - ceil(d / 7)`` (so 40 on the
due date, 39 on the seven days before it), kept at 40 for ``OVERDUE_DAYS`` after the due date
while no birth is recorded; before week 12 there is no tip yet. Child: the week is whole weeks
since birth, ``(day - birth_date).days // 7``, from 0 until the fifth birthday (week 260).
From week 104 one tip covers a fortnight: the tip of the even week.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Track = Literal["pregnancy", "child"]
TRACKS: tuple[Track, ...] = ("pregnancy", "child")
TRACK_WEEKS: dict[str, range] = {"pregnancy": range(12, 41), "child": range(0, 260)}
TOPICS = ("talk", "play", "reading", "feelings", "routines", "health")
DUE_WEEK = 40  # the due date is the first day of week 40 of pregnancy
OVERDUE_DAYS = 14  # week 40 lasts until two weeks after the due date
FORTNIGHTLY_FROM = 104  # from the second birthday, one tip a fortnight (even weeks)


@dataclass(frozen=True, slots=True)
class Tip:
    """One tip: its stage, topic and everyday routine, and its text in each language."""

    id: str
    track: Track
    week: int
    topic: str
    routine: str
    texts: Mapping[str, str]
    reviewed: Mapping[str, bool]

    def text(self, lang: str) -> str:
        """The text in `lang`, or the English one when there is none."""
        return self.texts.get(lang) or self.texts["en"]


class TipLibrary:
    """Tips by id and by (track, week); at most one tip per id and per stage."""

    def __init__(self, tips: Iterable[Tip]) -> None:
        order = {track: n for n, track in enumerate(TRACKS)}
        self.tips: tuple[Tip, ...] = tuple(sorted(tips, key=lambda t: (order[t.track], t.week)))
        self._by_id: dict[str, Tip] = {}
        self._by_stage: dict[tuple[str, int], Tip] = {}
        for tip in self.tips:
            if tip.id in self._by_id:
                raise ValueError(f"two tips have the id {tip.id!r}")
            if (tip.track, tip.week) in self._by_stage:
                raise ValueError(f"two tips are for {tip.track} week {tip.week}")
            self._by_id[tip.id] = tip
            self._by_stage[(tip.track, tip.week)] = tip

    def __len__(self) -> int:
        return len(self.tips)

    def get(self, tip_id: str) -> Tip:
        """The tip with this id (KeyError if there is none)."""
        return self._by_id[tip_id]

    def for_stage(self, track: str, week: int) -> Tip | None:
        """The tip written for exactly this stage, if any."""
        return self._by_stage.get((track, week))

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages every tip has, English first and the rest alphabetical."""
        if not self.tips:
            return ()
        common = set.intersection(*(set(t.texts) for t in self.tips))
        return tuple(sorted(common, key=lambda lang: (lang != "en", lang)))


def stage_on(day: date, birth_date: date | None, due_date: date | None) -> tuple[str, int] | None:
    """The (track, week) of a child on a local date, or None outside the programme.

    A recorded birth wins over a due date. None before pregnancy week 12, more than
    `OVERDUE_DAYS` after the due date with no birth recorded, before birth and from five.
    """
    if birth_date is not None:
        week = (day - birth_date).days // 7
        return ("child", week) if week in TRACK_WEEKS["child"] else None
    if due_date is None:
        return None
    days_left = (due_date - day).days
    if days_left < -OVERDUE_DAYS:
        return None
    week = DUE_WEEK - -(-max(days_left, 0) // 7)  # 40 - ceil(days_left / 7), 40 once overdue
    return ("pregnancy", week) if week in TRACK_WEEKS["pregnancy"] else None


def tip_week(track: str, week: int) -> int:
    """The week whose tip covers this stage: from week 104, the even week of the fortnight."""
    if track == "child" and week >= FORTNIGHTLY_FROM:
        return week - week % 2
    return week


def tip_for(
    library: TipLibrary, day: date, birth_date: date | None, due_date: date | None
) -> Tip | None:
    """The tip for the child's stage on that day; from two, one tip covers a fortnight."""
    stage = stage_on(day, birth_date, due_date)
    if stage is None:
        return None
    track, week = stage
    return library.for_stage(track, tip_week(track, week))


def stage_window(track: str, week: int, day: date) -> tuple[date, date]:
    """Inclusive (first, last) birth dates (child) or due dates (pregnancy) that get the tip of
    this stage on `day`: exactly the inverse of `tip_for`. Empty (first > last) for a stage
    that never gets a tip: outside the track, or an odd week from 104."""
    if track not in TRACK_WEEKS:
        raise ValueError(f"unknown track {track!r}: use pregnancy or child")
    empty = (day + timedelta(days=1), day)
    if week not in TRACK_WEEKS[track] or tip_week(track, week) != week:
        return empty
    if track == "child":
        weeks = 2 if week >= FORTNIGHTLY_FROM else 1
        last = day - timedelta(weeks=week)
        return last - timedelta(days=7 * weeks - 1), last
    if week == DUE_WEEK:
        return day - timedelta(days=OVERDUE_DAYS), day
    last = day + timedelta(weeks=DUE_WEEK - week)  # 7k days before the due date: week 40 - k
    return last - timedelta(days=6), last
