"""Tip reactions: which tip, when it was sent, the reaction, and the child's age band then."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from storage.exports.common import (
    IDENTITY_COLUMNS,
    Context,
    Table,
    age_band,
    identities,
    real,
    streamed,
)
from storage.exports.spec import Cell
from storage.models import Child, Contact, Tip, TipDelivery, TipReaction

FIXED = ("respondent", "community", "language", "channel", "age_band", "tip", "topic")
AFTER = ("sent_at", "reaction", "reacted_at")


def table(session: Session, ctx: Context) -> Table:
    reaction = TipReaction
    # Twins get the same tip twice: the first sending and the first child speak for both.
    sent = (
        select(
            TipDelivery.contact_id,
            TipDelivery.tip_id,
            func.min(TipDelivery.sent_at).label("sent_at"),
            func.min(TipDelivery.child_id).label("child_id"),
        )
        .group_by(TipDelivery.contact_id, TipDelivery.tip_id)
        .subquery()
    )
    ids = identities()
    who = [Contact.code, ids.c.phone, ids.c.telegram] if ctx.identifiable else []
    conditions = (ctx.in_communities(Contact.community_id), ctx.between(reaction.reacted_at))
    query = (
        select(
            reaction.contact_id,
            Contact.community_id,
            Contact.language,
            reaction.channel,
            reaction.tip_id,
            Tip.topic,
            sent.c.sent_at,
            reaction.reaction,
            reaction.reacted_at,
            Child.birth_date,
            Child.due_date,
            *who,
        )
        .select_from(reaction)
        .join(Contact, real(reaction.contact_id))
        .outerjoin(Tip, Tip.id == reaction.tip_id)
        .outerjoin(
            sent, and_(sent.c.contact_id == reaction.contact_id, sent.c.tip_id == reaction.tip_id)
        )
        .outerjoin(Child, Child.id == sent.c.child_id)
    )
    if ctx.identifiable:
        query = query.outerjoin(ids, ids.c.contact_id == reaction.contact_id)
    query = query.where(*conditions).order_by(reaction.reacted_at, reaction.id)
    zone = ZoneInfo(ctx.timezone)

    def rows() -> Iterator[list[Cell]]:
        for found in streamed(session, query):
            when = found.sent_at or found.reacted_at
            row: list[Cell] = [
                ctx.pseudonyms.code(found.contact_id),
                found.community_id,
                found.language,
                found.channel,
                age_band(found.birth_date, found.due_date, when.astimezone(zone).date()),
                found.tip_id,
                found.topic,
            ]
            if ctx.identifiable:
                row += [found.code, found.phone, found.telegram]
            yield [*row, ctx.stamp(found.sent_at), found.reaction, ctx.stamp(found.reacted_at)]

    count = (
        select(reaction.id)
        .select_from(reaction)
        .join(Contact, real(reaction.contact_id))
        .where(*conditions)
    )
    header = [*FIXED, *(IDENTITY_COLUMNS if ctx.identifiable else ()), *AFTER]
    return Table(header, rows(), count)
