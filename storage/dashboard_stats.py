"""The overview's numbers: contacts, this week's joins, opt-outs, messages and tip reactions.

Three GROUP BY statements over the communities asked for (contacts, outbox, tip reactions);
"this week" starts on Monday at midnight in each community's own time zone, passed in as a
community -> UTC instant mapping and compared in SQL through a CASE. Simulated contacts (the
terminal chat, the dashboard simulator) are never counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, func, literal, select
from sqlalchemy.orm import Session

from storage.base import UTCDateTime
from storage.models import Consent, Contact, ContactIdentity, Outbox, TipReaction

BOTH = "both"  # a family reached on more than one channel
NONE = "none"  # a family with no address left (erased)
DELIVERED = ("delivered", "read")


@dataclass(frozen=True)
class ContactCount:
    """Families in one community, channel and language, by where they stand."""

    community_id: str
    channel: str
    language: str
    active: int
    paused: int
    opted_out: int
    joining: int
    joined_this_week: int
    opted_out_this_week: int


@dataclass(frozen=True)
class MessageCount:
    """Messages in one community and channel sent, delivered and failed this week."""

    community_id: str
    channel: str
    sent: int
    delivered: int
    failed: int


@dataclass(frozen=True)
class ReactionCount:
    community_id: str
    reaction: str
    count: int


def week_start(now: datetime, timezone: str) -> datetime:
    """Monday 00:00 of `now`'s week in `timezone`, as a UTC instant."""
    local = now.astimezone(ZoneInfo(timezone))
    monday = (local - timedelta(days=local.weekday())).date()
    midnight = datetime(monday.year, monday.month, monday.day, tzinfo=ZoneInfo(timezone))
    return midnight.astimezone(UTC)


def _since(starts: Mapping[str, datetime]) -> ColumnElement[datetime]:
    """The start of this week in the contact's community (a CASE over the few communities)."""
    whens = [
        (Contact.community_id == cid, literal(at, UTCDateTime())) for cid, at in starts.items()
    ]
    return case(*whens, else_=literal(min(starts.values()), UTCDateTime()))


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def contact_counts(
    session: Session, starts: Mapping[str, datetime], now: datetime
) -> list[ContactCount]:
    """Real families per community, channel and language, in the communities of `starts`."""
    if not starts:
        return []
    identity = ContactIdentity
    lowest = func.min(identity.channel)
    channels = (
        select(
            identity.contact_id.label("contact_id"),
            case((lowest == func.max(identity.channel), lowest), else_=literal(BOTH, String)).label(
                "channel"
            ),
        )
        .group_by(identity.contact_id)
        .subquery()
    )
    first = (
        select(Consent.contact_id.label("contact_id"), func.min(Consent.recorded_at).label("at"))
        .where(Consent.agreed.is_(True))
        .group_by(Consent.contact_id)
        .subquery()
    )
    since = _since(starts)
    channel = func.coalesce(channels.c.channel, literal(NONE, String))
    language = func.coalesce(Contact.language, literal(NONE, String))
    paused = and_(Contact.paused_until.is_not(None), Contact.paused_until > now)
    statement = (
        select(
            Contact.community_id,
            channel.label("channel"),
            language.label("language"),
            _count(and_(Contact.status == "active", ~paused)).label("active"),
            _count(and_(Contact.status == "active", paused)).label("paused"),
            _count(Contact.status == "opted_out").label("opted_out"),
            _count(Contact.status == "onboarding").label("joining"),
            _count(first.c.at >= since).label("joined"),
            _count(and_(Contact.status == "opted_out", Contact.opted_out_at >= since)).label(
                "left"
            ),
        )
        .select_from(Contact)
        .outerjoin(channels, channels.c.contact_id == Contact.id)
        .outerjoin(first, first.c.contact_id == Contact.id)
        .where(Contact.community_id.in_(list(starts)), Contact.is_simulated.is_(False))
        .group_by(Contact.community_id, channel, language)
        .order_by(Contact.community_id, channel, language)
    )
    return [
        ContactCount(str(r[0]), str(r[1]), str(r[2]), *(int(n) for n in r[3:]))
        for r in session.execute(statement)
    ]


def message_counts(session: Session, starts: Mapping[str, datetime]) -> list[MessageCount]:
    """Messages to real families sent, delivered and failed since their community's Monday."""
    if not starts:
        return []
    since = _since(starts)
    sent = and_(Outbox.status == "sent", Outbox.sent_at >= since)
    statement = (
        select(
            Contact.community_id,
            Outbox.channel,
            _count(sent).label("sent"),
            _count(and_(sent, Outbox.delivery_status.in_(DELIVERED))).label("delivered"),
            _count(and_(Outbox.status == "failed", Outbox.updated_at >= since)).label("failed"),
        )
        .join(Contact, Contact.id == Outbox.contact_id)
        .where(Contact.community_id.in_(list(starts)), Contact.is_simulated.is_(False))
        .group_by(Contact.community_id, Outbox.channel)
        .order_by(Contact.community_id, Outbox.channel)
    )
    return [
        MessageCount(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]))
        for r in session.execute(statement)
    ]


def reaction_counts(session: Session, starts: Mapping[str, datetime]) -> list[ReactionCount]:
    """Tip reactions (useful, tried, not for me) from real families this week."""
    if not starts:
        return []
    since = _since(starts)
    statement = (
        select(Contact.community_id, TipReaction.reaction, func.count())
        .join(Contact, Contact.id == TipReaction.contact_id)
        .where(
            Contact.community_id.in_(list(starts)),
            Contact.is_simulated.is_(False),
            TipReaction.reacted_at >= since,
        )
        .group_by(Contact.community_id, TipReaction.reaction)
        .order_by(Contact.community_id, TipReaction.reaction)
    )
    return [ReactionCount(str(c), str(r), int(n)) for c, r, n in session.execute(statement)]
