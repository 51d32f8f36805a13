"""What an export is asked for: dataset, format, anonymity mode and filters, parsed strictly."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, cast

Mode = Literal["pseudonymised", "identifiable"]
Cell = str | int | float | None
DATASETS = ("responses", "tips", "events", "messages", "aggregate")
FORMATS = ("csv", "xlsx")
MODES: tuple[Mode, ...] = ("pseudonymised", "identifiable")
NEEDS_CONSULTATION = ("responses", "aggregate")
# A spreadsheet runs a cell starting with one of these as a formula (or strips it first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class ExportError(ValueError):
    """A one-line, human-readable reason an export was refused."""


@dataclass(frozen=True)
class Filters:
    """Which rows: dates are local days (inclusive); communities None means every community."""

    date_from: date | None = None
    date_to: date | None = None
    communities: tuple[str, ...] | None = None
    consultation: str | None = None
    finished_only: bool = False
    include_free_text: bool = False

    def as_audit(self) -> dict[str, Any]:
        """The filters as the audit log keeps them (only those that were set)."""
        values: dict[str, Any] = {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "communities": list(self.communities) if self.communities is not None else None,
            "consultation": self.consultation,
            "finished_only": self.finished_only or None,
            "include_free_text": self.include_free_text or None,
        }
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class ExportRequest:
    """What to export and how: the anonymity mode has no default."""

    dataset: str
    fmt: str
    mode: Mode
    filters: Filters
    reason: str | None = None


def escape(value: Cell) -> Cell:
    """Text a spreadsheet would take for a formula is kept as text (a leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def parse_filters(raw: Mapping[str, str | None], known_communities: Collection[str]) -> Filters:
    """Filters from form fields or command-line options (from, to, community, consultation,
    finished_only, include_free_text); ExportError names the first bad one."""
    start, end = _date(raw.get("from"), "from"), _date(raw.get("to"), "to")
    if start and end and start > end:
        raise ExportError(f"the 'from' date {start} is after the 'to' date {end}")
    communities: tuple[str, ...] | None = None
    named = [c.strip() for c in (raw.get("community") or "").split(",") if c.strip()]
    if named:
        unknown = [c for c in named if c not in known_communities]
        if unknown:
            raise ExportError(f"unknown community {unknown[0]!r}")
        communities = tuple(dict.fromkeys(named))
    consultation = (raw.get("consultation") or "").strip() or None
    if consultation is not None and not _ID.fullmatch(consultation):
        raise ExportError(f"not a consultation id: {consultation!r}")
    return Filters(
        date_from=start,
        date_to=end,
        communities=communities,
        consultation=consultation,
        finished_only=_flag(raw.get("finished_only"), "finished_only"),
        include_free_text=_flag(raw.get("include_free_text"), "include_free_text"),
    )


def parse_choice(value: str | None, allowed: tuple[str, ...], what: str) -> str:
    """One of `allowed`, or ExportError listing them."""
    chosen = (value or "").strip().lower()
    if chosen not in allowed:
        raise ExportError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")
    return chosen


def parse_mode(value: str | None) -> Mode:
    return cast(Mode, parse_choice(value, MODES, "the anonymity mode"))


def _date(value: str | None, name: str) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise ExportError(f"the '{name}' date must be YYYY-MM-DD, not {text!r}") from None


def _flag(value: str | None, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ExportError(f"{name} must be yes or no, not {value!r}")
