"""The message log, both directions: what was sent and received, when, and how it went.

Bodies appear only in an identifiable export with free text asked for: a message body is as
personal as anything the bot holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Integer, String, Text, case, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from storage.base import UTCDateTime
from storage.exports.common import IDENTITY_COLUMNS, Context, Table, identities, real, streamed
from storage.exports.spec import Cell
from storage.models import Contact, InboundMessage, Outbox

FIXED = ("respondent", "community")
AFTER = (
    "direction",
    "channel",
    "kind",
    "status",
    "delivery_status",
    "segments",
    "error_code",
    "created_at",
    "sent_at",
)


def table(session: Session, ctx: Context) -> Table:
    bodies = ctx.identifiable and ctx.filters.include_free_text
    out, inbound = Outbox, InboundMessage
    sent = select(
        out.id.label("id"),
        out.contact_id.label("contact_id"),
        literal("out", String).label("direction"),
        out.channel.label("channel"),
        out.kind.label("kind"),
        out.status.label("status"),
        out.delivery_status.label("delivery_status"),
        out.segments.label("segments"),
        out.error_code.label("error_code"),
        out.created_at.label("created_at"),
        out.sent_at.label("sent_at"),
        (out.message["text"].as_string() if bodies else cast(null(), Text)).label("body"),
    ).where(ctx.between(out.created_at))
    received = select(
        inbound.id.label("id"),
        inbound.contact_id.label("contact_id"),
        literal("in", String).label("direction"),
        inbound.channel.label("channel"),
        inbound.kind.label("kind"),
        case(
            (inbound.processed_at.is_not(None), "processed"),
            (inbound.error.is_not(None), "failed"),
            else_="pending",
        ).label("status"),
        cast(null(), String).label("delivery_status"),
        cast(null(), Integer).label("segments"),
        cast(null(), String).label("error_code"),
        inbound.received_at.label("created_at"),
        cast(null(), UTCDateTime).label("sent_at"),
        (inbound.text if bodies else cast(null(), Text)).label("body"),
    ).where(ctx.between(inbound.received_at))
    log = union_all(sent, received).subquery()
    ids = identities()
    who = [Contact.code, ids.c.phone, ids.c.telegram] if ctx.identifiable else []
    query = (
        select(log, Contact.community_id, *who)
        .select_from(log)
        .join(Contact, real(log.c.contact_id))
    )
    if ctx.identifiable:
        query = query.outerjoin(ids, ids.c.contact_id == log.c.contact_id)
    condition = ctx.in_communities(Contact.community_id)
    query = query.where(condition).order_by(log.c.created_at, log.c.direction, log.c.id)

    def rows() -> Iterator[list[Cell]]:
        for found in streamed(session, query):
            row: list[Cell] = [ctx.pseudonyms.code(found.contact_id), found.community_id]
            if ctx.identifiable:
                row += [found.code, found.phone, found.telegram]
            row += [
                found.direction,
                found.channel,
                found.kind,
                found.status,
                found.delivery_status,
                found.segments,
                found.error_code,
                ctx.stamp(found.created_at),
                ctx.stamp(found.sent_at),
            ]
            yield [*row, found.body] if bodies else row

    count = select(log.c.id).select_from(log).join(Contact, real(log.c.contact_id)).where(condition)
    header = [*FIXED, *(IDENTITY_COLUMNS if ctx.identifiable else ()), *AFTER]
    return Table(header + (["body"] if bodies else []), rows(), count)
