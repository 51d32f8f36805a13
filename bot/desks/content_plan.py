"""Which tips a family would get next, and when: the tip pass's rules, run forward in memory."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from admin.ports.content import PlannedTip
from conversations.content.library import TipLibrary, tip_for
from conversations.flows.tips import tip_message
from conversations.render import render_sms
from conversations.slots import next_slot
from conversations.sms import count_segments
from conversations.types import Child


def plan(
    library: TipLibrary,
    children: Sequence[Child],
    sent: Collection[tuple[int, str]],
    *,
    now: datetime,
    weeks: int,
    weekday: int,
    at: str,
    timezone: str,
    quiet: tuple[time, time],
    lang: str,
    paused_until: datetime | None = None,
) -> list[PlannedTip]:
    """Each weekly slot from `now` for `weeks` weeks with the message it would carry.

    Like `bot.tips`: the tip is the one for each child's stage on the slot's local date, never
    one already sent (`sent` holds (child id, tip id)); siblings share one message; nothing
    while paused; a slot inside quiet hours goes when they end.
    """
    zone = ZoneInfo(timezone)
    planned: list[PlannedTip] = []
    done: set[tuple[int | None, str]] = set(sent)
    slot = now
    for _ in range(weeks):
        slot = next_slot(slot, weekday, at, timezone)
        if paused_until is not None and slot < paused_until:
            continue
        day = slot.astimezone(zone).date()
        pairs = []
        for child in children:
            tip = tip_for(library, day, child.birth_date, child.due_date)
            if tip is not None and (child.id, tip.id) not in done:
                done.add((child.id, tip.id))
                pairs.append((child, tip))
        if pairs:
            text = render_sms(tip_message(lang, pairs))
            planned.append(
                PlannedTip(
                    at=after_quiet(slot, quiet, timezone).astimezone(zone),
                    tip_ids=tuple(tip.id for _, tip in pairs),
                    text=text,
                    segments=count_segments(text).segments,
                )
            )
    return planned


def after_quiet(moment: datetime, window: tuple[time, time], timezone: str) -> datetime:
    """`moment`, or the end of the quiet hours it falls in (the dispatcher holds it till then)."""
    zone = ZoneInfo(timezone)
    local = moment.astimezone(zone)
    start, end = window
    clock = local.time()
    overnight = start > end
    inside = (start <= clock or clock < end) if overnight else (start <= clock < end)
    if not inside:
        return moment
    day = local.date() + timedelta(days=1) if overnight and clock >= start else local.date()
    return datetime.combine(day, end, zone)
