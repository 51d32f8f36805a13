"""Consent to the current privacy notice: the filter every proactive job shares, and re-asking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from storage.base import JSONType, UTCDateTime
from storage.models import Contact, ContactIdentity, Outbox
from storage.models import ConversationState as StateRow
from storage.outbox_groups import Messages, enqueue_groups

FLOW = "reconsent"  # conversations.flows.reconsent.FLOW; storage never imports flows
ASKED = "asked"


def consented(version: str) -> ColumnElement[bool]:
    """The contact agreed to this notice version: nothing proactive goes to anyone else."""
    return Contact.consent_version == version


def stale(version: str) -> ColumnElement[bool]:
    """An active contact whose consent is to another notice (or none): to be asked again."""
    return and_(
        Contact.status == "active",
        or_(Contact.consent_version.is_(None), Contact.consent_version != version),
    )


def _key_prefix(version: str) -> str:
    return f"reconsent:{version}"


def ask_again(session: Session, version: str, messages: Messages, now: datetime) -> int:
    """Ask every idle, stale contact once per notice version; returns how many messages."""
    prefix = _key_prefix(version)
    already = exists().where(
        Outbox.dedupe_key == literal(f"{prefix}:0:") + cast(Contact.id, String)
    )
    reachable = _channel().is_not(None)
    due = select(Contact.id).where(stale(version), reachable, ~already).correlate(None)
    has_state = exists().where(StateRow.contact_id == Contact.id)
    missing = select(Contact.id, literal(now, UTCDateTime()), literal({}, JSONType)).where(
        stale(version), reachable, ~already, ~has_state
    )
    session.execute(insert(StateRow).from_select(["contact_id", "updated_at", "data"], missing))
    session.execute(
        update(StateRow)
        .where(StateRow.contact_id.in_(due), StateRow.flow.is_(None))
        .values(flow=FLOW, step=ASKED, data={}, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    recipients = (
        select(
            Contact.id,
            func.coalesce(Contact.language, "en"),
            _channel(),
            null().cast(String),
        )
        .join(StateRow, StateRow.contact_id == Contact.id)
        .where(stale(version), reachable, StateRow.flow == FLOW, StateRow.step == ASKED, ~already)
    )
    return enqueue_groups(session, recipients, messages, prefix, now)


def _channel() -> ColumnElement[str]:
    """The channel of the contact's first reachable address (where proactive messages go)."""
    return (
        select(ContactIdentity.channel)
        .where(ContactIdentity.contact_id == Contact.id, ContactIdentity.reachable.is_(True))
        .order_by(ContactIdentity.id)
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )
