"""Small-cell suppression for published counts: the cells of one results page and the additive
lines between them, hidden until no hidden cell can be worked out by subtraction.

Small-cell suppression, with `threshold` t (setting SMALL_CELL_THRESHOLD, default 5):

1. **Primary.** Any count from 1 to t-1 is hidden (`count=None`, `suppressed="small"`, shown
   "<5"). A 0 stays 0. The invited/started/finished headline is always exact.
2. **Small groups.** In a breakdown, a group with 1 to t-1 people who answered the question (or,
   for response counts, 1 to t-1 invited) has every cell hidden, zeros and its total included
   (`suppressed="group"`, shown "<5", which is true of each of them).
3. **Secondary.** Published totals let a hidden cell be worked out by subtraction. Every
   additive relation among the published numbers is a *line*:
   - a question's options against the people who answered it (overall and in each group), for
     single-answer questions (choice, yes/no, scale, number, date);
   - for multi-select, each option against the people who answered: the unpublished complement
     ("did not choose it") counts as a hidden small cell when it is 1 to t-1, so "9 of 10 chose
     shade" does not reveal the 1 who did not;
   - each option's (and each group total's) counts across the groups of a dimension against the
     overall count, since every respondent is in exactly one group;
   - each group's invited, started and finished counts across the groups of a dimension against
     the headline.
   While some line has exactly one hidden cell, the smallest non-zero published cell of that
   line is hidden too (`suppressed="secondary"`, shown "*": it may be 5 or more), preferring a
   group's cell to an overall one and a cell to a total; an overall "answered" total is never
   hidden this way. The pass repeats until no line has exactly one hidden cell, so no hidden
   cell equals a published total minus published cells. This is the usual line-by-line
   heuristic, not a full linear-programming audit across several lines at once.
4. A percentage is shown only when both its count and its denominator are shown; a number or
   scale summary (mean, median, min, max) only when the people answering are at least t.

Not protected: whether a question was skipped (skips are counted, and small counts hidden, but
they are not answers and take part in no line), and the complement of the headline
(invited minus started), which is exact by design.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Suppression = Literal["small", "secondary", "group"]


@dataclass(frozen=True)
class Count:
    """One published number: `count` None when suppressed (see `suppressed` for why).

    `percent` (0-100, one decimal) is of the people who answered the question, for response
    counts of those invited; None when the count or its denominator is hidden.
    """

    key: str
    label: str
    count: int | None
    percent: float | None
    suppressed: Suppression | None = None


_Key = tuple[Any, ...]


@dataclass
class _Cell:
    value: int
    overall: bool  # a consultation-wide number rather than one group's
    total: bool  # the denominator of a row
    exact: bool  # never hidden (the headline)
    candidate: bool = True  # may be hidden to protect another cell
    hidden: Suppression | None = None
    order: int = 0


@dataclass
class _Line:
    cells: list[_Key]
    implicit: int | None  # an unpublished complement (multi-select "did not choose")


class Table:
    """Cells and the additive lines between them; see the module docstring."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.cells: dict[_Key, _Cell] = {}
        self.lines: list[_Line] = []

    def add(
        self,
        key: _Key,
        value: int,
        *,
        overall: bool = False,
        total: bool = False,
        exact: bool = False,
    ) -> None:
        self.cells[key] = _Cell(value, overall, total, exact, not exact, None, len(self.cells))
        if not exact and 0 < value < self.threshold:
            self.cells[key].hidden = "small"

    def value(self, key: _Key) -> int:
        cell = self.cells.get(key)
        return cell.value if cell else 0

    def line(self, keys: Sequence[_Key], implicit: int | None = None) -> None:
        present = [key for key in keys if key in self.cells]
        if len(present) > 1 or implicit is not None:
            self.lines.append(_Line(present, implicit))

    def hide_group(self, keys: Iterable[_Key]) -> None:
        for key in keys:
            self.cells[key].hidden = "group"

    def answered_is_fixed(self, key: _Key) -> None:
        self.cells[key].candidate = False

    def suppress(self) -> None:
        """Hide further cells until no line has exactly one unpublished sensitive value."""
        crossing: dict[_Key, list[_Line]] = defaultdict(list)
        for line in self.lines:
            for key in line.cells:
                crossing[key].append(line)
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                if self._exposed(line):
                    chosen = self._cheapest(line, crossing)
                    if chosen is not None:
                        self.cells[chosen].hidden = "secondary"
                        changed = True

    def _exposed(self, line: _Line) -> bool:
        hidden = sum(1 for key in line.cells if self.cells[key].hidden is not None)
        if line.implicit is None:
            return hidden == 1
        # The complement is unpublished; it is exposed when everything else is published.
        return not hidden and 0 < line.implicit < self.threshold

    def _cheapest(self, line: _Line, crossing: Mapping[_Key, list[_Line]]) -> _Key | None:
        """The cell to hide: a group's before an overall one; then one whose other lines it
        protects rather than exposes; then a cell before a total; then the smallest."""
        choices = [
            key
            for key in line.cells
            if self.cells[key].hidden is None
            and self.cells[key].candidate
            and self.cells[key].value > 0
        ]

        def harm(key: _Key) -> int:
            """Lines this would newly expose, less lines it would make safe."""
            total = 0
            for other in crossing[key]:
                if other is not line:
                    exposed = self._exposed(other)
                    if other.implicit is None:
                        hidden = sum(1 for k in other.cells if self.cells[k].hidden is not None)
                        total += 1 if hidden == 0 else 0
                    total -= 1 if exposed else 0
            return total

        def cost(key: _Key) -> tuple[bool, int, bool, int, int]:
            cell = self.cells[key]
            return (cell.overall, harm(key), cell.total, cell.value, cell.order)

        return min(choices, key=cost, default=None)

    def published(self, key: _Key) -> int | None:
        cell = self.cells[key]
        return None if cell.hidden else cell.value

    def count(self, key: _Key, label: str, denominator: _Key | None) -> Count:
        cell = self.cells[key]
        shown = self.published(key)
        base = self.published(denominator) if denominator is not None else None
        percent = round(100 * shown / base, 1) if shown is not None and base else None
        return Count(str(key[-1]), label, shown, percent, cell.hidden)
