"""What every dataset shares: pseudonyms, local timestamps, the date window, identities."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from storage.consultation_audience import months_before
from storage.exports.spec import Cell, Filters, Mode
from storage.models import Contact, ContactIdentity

BATCH = 1000  # rows fetched at a time from a server-side cursor
IDENTITY_COLUMNS = ("contact_code", "phone_number", "telegram_id")
# A respondent code's hex digits (60 bits): a million respondents share one by chance about
# once in two million exports. Hex, which PostgreSQL writes natively, costs a third of the
# database's time that base32 by bit arithmetic did (benchmarks/RESULTS.md).
CODE_DIGITS = 15


class Pseudonyms:
    """Respondent codes: HMAC-SHA256 of the contact id under a key made fresh for one export,
    so codes agree within an export and cannot be matched between two."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or secrets.token_bytes(32)

    def code(self, contact_id: int) -> str:
        digest = hmac.new(self._key, str(contact_id).encode(), hashlib.sha256).hexdigest()
        return "R-" + digest[:CODE_DIGITS]

    def pads(self) -> tuple[bytes, bytes]:
        """The key XOR-ed with HMAC's inner and outer pads (RFC 2104), so the database can
        compute the same codes with two sha256() calls and no extension."""
        key = self._key if len(self._key) <= 64 else hashlib.sha256(self._key).digest()
        key = key.ljust(64, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


@dataclass(frozen=True)
class Context:
    """One export's settings, shared by the dataset builders."""

    mode: Mode
    filters: Filters
    timezone: str
    threshold: int = 5
    pseudonyms: Pseudonyms = field(default_factory=Pseudonyms)

    @property
    def identifiable(self) -> bool:
        return self.mode == "identifiable"

    def stamp(self, value: datetime | None) -> str | None:
        """ISO 8601 with the offset of the deployment's time zone."""
        if value is None:
            return None
        return value.astimezone(ZoneInfo(self.timezone)).isoformat(timespec="seconds")

    def window(self) -> tuple[datetime | None, datetime | None]:
        """The filter's local days as UTC instants: [start of from, start of the day after to)."""
        zone = ZoneInfo(self.timezone)

        def start(day: date) -> datetime:
            return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)

        f = self.filters
        return (
            start(f.date_from) if f.date_from else None,
            start(f.date_to + timedelta(days=1)) if f.date_to else None,
        )

    def between(self, column: Any) -> ColumnElement[bool]:
        """`column` inside the date window (true when no dates were given)."""
        low, high = self.window()
        conditions = []
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column < high)
        return and_(true(), *conditions)

    def in_communities(self, column: Any) -> ColumnElement[bool]:
        communities = self.filters.communities
        return true() if communities is None else column.in_(communities)


# A Table's rows as blocks of whole CSV rows, with how many each holds; or None: write `rows`.
Blocks = Callable[[], Iterator[tuple[int, bytes]] | None]
YES_NO = {"yes": "Yes", "no": "No"}


def english(texts: Mapping[str, str]) -> str:
    """A consultation text as exports show it: English, or the first language there is."""
    return texts.get("en") or next(iter(texts.values()), "")


def number(value: str) -> Cell:
    """A stored number as a number cell (as stored when it is not one)."""
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


@dataclass(frozen=True)
class Table:
    """A header and rows streamed from the database; `query` counts them for a progress bar;
    `csv_blocks` may give the same rows as CSV the database wrote (COPY)."""

    header: list[str]
    rows: Iterable[list[Cell]]
    query: Select[*tuple[Any, ...]] | None = None
    csv_blocks: Blocks = lambda: None


def real(contact_id: Any) -> ColumnElement[bool]:
    """Simulated parents (the simulator's, the terminal chat's) are never exported."""
    return and_(Contact.id == contact_id, Contact.is_simulated.is_(False))


def identities() -> Subquery:
    """Each contact's phone number and Telegram id, one row per contact (identifiable only)."""
    identity = ContactIdentity
    return (
        select(
            identity.contact_id.label("contact_id"),
            func.max(case((identity.channel == "sms", identity.address))).label("phone"),
            func.max(case((identity.channel == "telegram", identity.address))).label("telegram"),
        )
        .group_by(identity.contact_id)
        .subquery()
    )


def streamed(session: Session, query: Select[*tuple[Any, ...]]) -> Iterator[Any]:
    """Rows a batch at a time (a server-side cursor on PostgreSQL): memory stays flat."""
    yield from session.execute(query.execution_options(yield_per=BATCH))


def age_band(birth: date | None, due: date | None, on: date) -> str:
    """The child's age band on a day, as results show it; never the date itself."""
    if birth is None:
        return "pregnancy" if due is not None else "none"
    for upper, label in ((12, "0-11m"), (24, "12-23m"), (36, "24-35m"), (48, "36-47m")):
        if birth > months_before(on, upper):
            return label
    return "48-59m" if birth > months_before(on, 60) else "60m+"
