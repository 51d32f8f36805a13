"""Who a consultation reaches: set-based audience selection, counts and invites."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Subquery,
    and_,
    case,
    exists,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from conversations.consultations.model import Audience
from storage.base import UTCDateTime, affected
from storage.consultation_models import ConsultationInvite
from storage.models import Child, Contact, ContactIdentity

ANALYZE_AFTER = 500  # invites written at once: refresh stale statistics (PostgreSQL)
# Bands of the youngest child's age, as results and exports show them (never the dates).
Span = tuple[int, int]  # contact ids above the first, up to and including the second
AGE_BANDS = ("pregnancy", "0-11m", "12-23m", "24-35m", "36-47m", "48-59m", "60m+", "none")


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier, clamped to the month's end (31 March - 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def first_identities(span: Span | None = None) -> Select[*tuple[Any, ...]]:
    """Each contact's first reachable address (of those with ids in `span`): where
    invitations go."""
    query = select(
        ContactIdentity.contact_id.label("contact_id"),
        func.min(ContactIdentity.id).label("identity_id"),
    ).where(ContactIdentity.reachable.is_(True))
    if span is not None:
        query = query.where(
            ContactIdentity.contact_id > span[0], ContactIdentity.contact_id <= span[1]
        )
    return query.group_by(ContactIdentity.contact_id)


def _children(contact_id: int | None, span: Span | None = None) -> Subquery:
    """Per contact with children (or just `contact_id`'s, or those in `span`), in one pass over
    them: the youngest's birth date and whether a baby is expected."""
    expecting = and_(Child.birth_date.is_(None), Child.due_date.is_not(None))
    query = select(
        Child.contact_id.label("contact_id"),
        func.max(Child.birth_date).label("youngest"),
        func.max(case((expecting, 1), else_=0)).label("expecting"),
    )
    if contact_id is not None:  # SQLite would otherwise aggregate everyone's children first
        query = query.where(Child.contact_id == contact_id)
    if span is not None:  # and so would both databases for a fan-out chunk
        query = query.where(Child.contact_id > span[0], Child.contact_id <= span[1])
    return query.group_by(Child.contact_id).subquery("kids")


def _age_band(today: date, kids: Subquery) -> ColumnElement[str]:
    """The youngest child's age band, from `_children` (NULLs for a contact without any)."""
    youngest = kids.c.youngest
    bands = [
        (youngest > months_before(today, upper), label)
        for upper, label in ((12, "0-11m"), (24, "12-23m"), (36, "24-35m"), (48, "36-47m"))
    ]
    return case(
        (and_(youngest.is_(None), kids.c.expecting == 1), "pregnancy"),
        (youngest.is_(None), "none"),
        *bands,
        (youngest > months_before(today, 60), "48-59m"),
        else_="60m+",
    )


def audience_rows(
    audience: Audience,
    today: date,
    real_only: bool = False,
    contact_id: int | None = None,
    span: Span | None = None,
) -> Select[*tuple[Any, ...]]:
    """(contact id, community, language, channel, age band) of every active contact reached;
    `real_only` leaves out simulated parents (the simulator's, the terminal chat's), and
    `contact_id` or `span` everyone else."""
    firsts = first_identities(span).subquery()
    # Aggregated once and joined (a hash join on PostgreSQL), not a correlated subquery per
    # contact and per CASE branch: that made a 100k launch spend seconds in index probes.
    kids = _children(contact_id, span)
    chunk = [] if span is None else [ContactIdentity.contact_id.between(span[0] + 1, span[1])]
    query = (
        select(
            Contact.id,
            Contact.community_id,
            func.coalesce(Contact.language, "en"),
            ContactIdentity.channel,
            _age_band(today, kids),
        )
        .join(firsts, firsts.c.contact_id == Contact.id)
        .join(ContactIdentity, and_(ContactIdentity.id == firsts.c.identity_id, *chunk))
        .outerjoin(kids, kids.c.contact_id == Contact.id)
        .where(Contact.status == "active")
    )
    if real_only:
        query = query.where(Contact.is_simulated.is_(False))
    if contact_id is not None:
        query = query.where(Contact.id == contact_id)
    if span is not None:
        query = query.where(Contact.id > span[0], Contact.id <= span[1])
    if audience.community is not None:
        query = query.where(Contact.community_id == audience.community)
    if audience.language is not None:
        query = query.where(func.coalesce(Contact.language, "en") == audience.language)
    if audience.channel is not None:
        query = query.where(ContactIdentity.channel == audience.channel)
    if audience.child_age_months is not None:
        low, high = audience.child_age_months
        # Age in whole months within [low, high]: born after (high + 1) months ago and no
        # later than low months ago. Expected babies have no age, so they are not included.
        # A semi-join, not a test on `kids`: PostgreSQL estimates it from the statistics.
        query = query.where(
            exists().where(
                Child.contact_id == Contact.id,
                Child.birth_date > months_before(today, high + 1),
                Child.birth_date <= months_before(today, low),
                *([] if span is None else [Child.contact_id.between(span[0] + 1, span[1])]),
            )
        )
    return query


@dataclass(frozen=True, slots=True)
class Group:
    """How many recipients share a language and channel (their messages cost the same)."""

    language: str
    channel: str
    count: int


def audience_size(session: Session, audience: Audience, today: date) -> int:
    """How many real families a launch now would invite, as `count_audience` counts them."""
    return sum(group.count for group in count_audience(session, audience, today))


def count_audience(session: Session, audience: Audience, today: date) -> list[Group]:
    """Real families only: simulated parents are asked too, but cost nothing and count nowhere."""
    rows = audience_rows(audience, today, real_only=True).subquery()
    columns = list(rows.c)
    language, channel = columns[2], columns[3]
    result = session.execute(
        select(language, channel, func.count()).group_by(language, channel).order_by(language)
    )
    return [Group(lang, chan, count) for lang, chan, count in result]


def invite(
    session: Session,
    consultation_id: str,
    audience: Audience,
    today: date,
    now: datetime,
    only_contact: int | None = None,
    span: Span | None = None,
) -> int:
    """Invite everyone in the audience (one INSERT … SELECT); a repeat invites nobody twice.

    With `only_contact`, just that contact if the audience includes them (a parent who has
    finished joining while the consultation is open); with `span`, a fan-out chunk's.
    """
    rows = audience_rows(audience, today, contact_id=only_contact, span=span).add_columns(
        literal(consultation_id), literal("pending"), literal(0), literal(now, UTCDateTime())
    )
    table = ConsultationInvite.__table__
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(table)
        .from_select(
            [
                "contact_id",
                "community_id",
                "language",
                "channel",
                "age_band",
                "consultation_id",
                "status",
                "reminders_sent",
                "invited_at",
            ],
            rows,
        )
        .on_conflict_do_nothing()
    )
    # Kept before the cursor closes: psycopg reports -1 for a closed cursor's INSERT.
    invited = affected(session.execute(statement.execution_options(preserve_rowcount=True)))
    many = only_contact is None and invited >= ANALYZE_AFTER
    if many and module is postgresql and _stale(session, invited):
        # The launch's next statements select these rows: without statistics the planner
        # takes thousands of new rows for one and picks nested loops (autovacuum is too late).
        session.execute(text("ANALYZE consultation_invites"))
    return invited


def _stale(session: Session, invited: int) -> bool:
    """Whether the invites' statistics are out by half or more, counting `invited` new rows.

    A fan-out writes a chunk at a time: analysing after each would cost more than the chunk,
    and never analysing leaves the planner sure there are no asked invites while there are
    tens of thousands (a nested loop over all of them per invitee, seconds a chunk).
    """
    changed, live = session.execute(
        text(
            "SELECT n_mod_since_analyze, n_live_tup FROM pg_stat_user_tables"
            " WHERE relname = 'consultation_invites'"
        )
    ).one()
    return bool(changed + invited >= live)
