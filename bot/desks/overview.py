"""The service behind the dashboard's overview."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from admin.ports.overview import REACTIONS, CommunityOverview
from storage import dashboard_stats as stats
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


class OverviewDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def communities(self, community_ids: Sequence[str]) -> list[CommunityOverview]:
        config = self._container.engine.config.communities
        now = self._container.clock()
        starts = {
            c: stats.week_start(now, config[c].timezone) for c in community_ids if c in config
        }
        with transaction(self._container.sessions) as session:
            contacts = stats.contact_counts(session, starts, now)
            messages = stats.message_counts(session, starts)
            reactions = stats.reaction_counts(session, starts)
        found = []
        for cid, start in starts.items():
            mine = tuple(c for c in contacts if c.community_id == cid)
            sent = tuple(m for m in messages if m.community_id == cid)
            counted = {r.reaction: r.count for r in reactions if r.community_id == cid}
            found.append(
                CommunityOverview(
                    id=cid,
                    week_start=start.astimezone(ZoneInfo(config[cid].timezone)).date(),
                    contacts=mine,
                    active=sum(c.active for c in mine),
                    paused=sum(c.paused for c in mine),
                    opted_out=sum(c.opted_out for c in mine),
                    joining=sum(c.joining for c in mine),
                    joined_this_week=sum(c.joined_this_week for c in mine),
                    opted_out_this_week=sum(c.opted_out_this_week for c in mine),
                    messages=sent,
                    sent=sum(m.sent for m in sent),
                    delivered=sum(m.delivered for m in sent),
                    failed=sum(m.failed for m in sent),
                    reactions=tuple((key, counted.get(key, 0)) for key in REACTIONS),
                )
            )
        return found
