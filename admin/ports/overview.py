"""What the dashboard needs for the overview."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from storage.dashboard_stats import ContactCount, MessageCount

REACTIONS = ("useful", "tried", "not_for_me")  # conversations/flows/tips.py, in that order


@dataclass(frozen=True)
class CommunityOverview:
    """One community's numbers; "this week" began on `week_start` (a Monday, local time)."""

    id: str
    week_start: date
    contacts: tuple[ContactCount, ...]  # per channel and language
    active: int
    paused: int
    opted_out: int
    joining: int
    joined_this_week: int
    opted_out_this_week: int
    messages: tuple[MessageCount, ...]  # per channel
    sent: int
    delivered: int
    failed: int
    reactions: tuple[tuple[str, int], ...]  # (reaction, count) in REACTIONS order


class OverviewPort(Protocol):
    """Implemented by bot/desks/overview.py."""

    def communities(self, community_ids: Sequence[str]) -> list[CommunityOverview]:
        """The numbers for each of these communities, in the order given."""
        ...
