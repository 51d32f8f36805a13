"""What the dashboard needs for the tip library, and the age bands staff browse it by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from admin.auth import N_


@dataclass(frozen=True, slots=True)
class AgeBand:
    """A stretch of the programme: pregnancy, or whole weeks of a child's life."""

    key: str
    label: str  # a msgid
    track: str
    first: int  # week, inclusive
    last: int  # week, inclusive


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("pregnancy", N_("Pregnancy"), "pregnancy", 0, 40),
    AgeBand("0-3m", N_("0-3 months"), "child", 0, 12),
    AgeBand("3-6m", N_("3-6 months"), "child", 13, 25),
    AgeBand("6-12m", N_("6-12 months"), "child", 26, 51),
    AgeBand("1-2y", N_("1-2 years"), "child", 52, 103),
    AgeBand("2-3y", N_("2-3 years"), "child", 104, 155),
    AgeBand("3-4y", N_("3-4 years"), "child", 156, 207),
    AgeBand("4-5y", N_("4-5 years"), "child", 208, 259),
)
BANDS_BY_KEY = {band.key: band for band in AGE_BANDS}


def band_of(track: str, week: int) -> AgeBand | None:
    """The band a stage (a tip's, or a child's today) falls in."""
    for band in AGE_BANDS:
        if band.track == track and band.first <= week <= band.last:
            return band
    return None


@dataclass(frozen=True, slots=True)
class TipView:
    """One tip as staff see it: each language's text and its SMS segment count."""

    id: str
    track: str
    week: int
    topic: str
    routine: str
    texts: Mapping[str, str]
    segments: Mapping[str, int]
    reviewed: Mapping[str, bool]


@dataclass(frozen=True, slots=True)
class UploadOutcome:
    """Either problems (nothing changed) or how the library changed."""

    problem: str | None = None  # the file could not be read at all (English, from the reader)
    errors: tuple[tuple[int, str, str], ...] = ()  # (row, column, message)
    added: int = 0
    changed: int = 0
    retired: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class PlannedTip:
    """One message the family would get: when (local time) and the SMS text."""

    at: datetime
    tip_ids: tuple[str, ...]
    text: str
    segments: int


@dataclass(frozen=True, slots=True)
class FamilyPreview:
    code: str | None
    language: str
    weekday: int  # Monday 0
    time: str  # "HH:MM", local
    timezone: str
    status: str | None  # the contact's, or None for a typed date
    paused_until: datetime | None
    tips: tuple[PlannedTip, ...]


class ContentPort(Protocol):
    """Implemented by bot/desks/content.py."""

    @property
    def languages(self) -> tuple[str, ...]: ...

    def tips(self) -> list[TipView]:
        """The active library, pregnancy first, by week."""
        ...

    def upload(self, filename: str, data: bytes, actor: str) -> UploadOutcome:
        """Validate with the CLI's rules; replace the library only if every row is fine."""
        ...

    def export(self, suffix: str) -> bytes:
        """The library as .csv or .xlsx, the format `content import` reads."""
        ...

    def preview_dates(
        self, birth: date | None, due: date | None, lang: str, weeks: int
    ) -> FamilyPreview:
        """The next tips a family with this date would get, on the default tip day."""
        ...

    def preview_contact(
        self, code: str, communities: list[str], actor: str, weeks: int
    ) -> FamilyPreview | None:
        """A contact's next tips (audited), or None if not found in these communities."""
        ...
