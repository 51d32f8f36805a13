"""The service behind the dashboard's inbox: alerts and replies, and staff writing back."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from admin.ports.inbox import (
    ERASED,
    OPTED_OUT,
    UNREACHABLE,
    InboxDetail,
    InboxEntry,
    StaffReply,
    ThreadMessage,
)
from conversations.types import ContactStatus, MessageKind, OutgoingMessage
from storage import audit, inbox
from storage.db import transaction
from storage.models import ContactIdentity, InboxReply
from storage.outbox import enqueue

if TYPE_CHECKING:
    from bot.container import Container

log = logging.getLogger(__name__)


def _entry(row: inbox.ItemRow) -> InboxEntry:
    item, contact = row.item, row.contact
    return InboxEntry(
        id=item.id,
        kind=item.kind,
        contact_code=contact.code,
        community_id=contact.community_id,
        language=contact.language,
        channel=row.channel,
        text=item.text or "",
        matched=tuple(item.matched or ()),
        created_at=item.created_at,
        handled_at=item.handled_at,
        handled_by=item.handled_by,
        simulated=contact.is_simulated,
    )


def _why_not(row: inbox.ItemRow, identity: ContactIdentity | None) -> str | None:
    """Why nothing may be sent to this parent now (a msgid), or None."""
    if row.contact.status == ContactStatus.OPTED_OUT.value:
        return OPTED_OUT
    if identity is None:
        return ERASED
    if not identity.reachable:
        return UNREACHABLE
    return None


class InboxDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def items(self, communities: Sequence[str], handled: bool) -> list[InboxEntry]:
        with transaction(self._container.sessions) as session:
            return [_entry(row) for row in inbox.list_items(session, communities, handled)]

    def open_alerts(self, communities: Sequence[str]) -> int:
        with transaction(self._container.sessions) as session:
            return inbox.count_open_alerts(session, communities)

    def entry(self, item_id: int) -> InboxEntry | None:
        with transaction(self._container.sessions) as session:
            row = inbox.get_item(session, item_id)
            return _entry(row) if row else None

    def detail(self, item_id: int, actor: str) -> InboxDetail | None:
        with transaction(self._container.sessions) as session:
            row = inbox.get_item(session, item_id)
            if row is None:
                return None
            contact = row.contact
            identity = inbox.reply_identity(session, contact.id, row.channel)
            recent = inbox.recent_messages(session, contact.id)
            replies = inbox.replies_for(session, contact.id)
            self._audit(session, "inbox.view", actor, row)
            return InboxDetail(
                entry=_entry(row),
                recent=tuple(
                    ThreadMessage(s.incoming, s.channel, s.text, s.at, s.status) for s in recent
                ),
                replies=tuple(
                    StaffReply(
                        r.reply.author, r.reply.text, r.reply.created_at, r.channel, r.status
                    )
                    for r in replies
                ),
                cannot_reply=_why_not(row, identity),
            )

    def reply(self, item_id: int, author: str, text: str) -> str | None:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = inbox.get_item(session, item_id)
            if row is None:
                return ERASED
            contact = row.contact
            identity = inbox.reply_identity(session, contact.id, row.channel)
            refused = _why_not(row, identity)
            if refused is not None or identity is None:
                return refused or ERASED
            community = self._container.engine.config.communities.get(contact.community_id)
            language = contact.language or (community.languages[0] if community else "en")
            # A reply to someone who just wrote: sent at once, even in quiet hours.
            message = OutgoingMessage(text=text, locales=(language,), kind=MessageKind.REPLY)
            reply = InboxReply(
                item_id=row.item.id, contact_id=contact.id, author=author, text=text, created_at=now
            )
            session.add(reply)
            session.flush()
            queued = enqueue(
                session, contact.id, identity, message, now, dedupe_key=f"inbox-reply:{reply.id}"
            )
            session.flush()
            reply.outbox_id = queued.id
            self._audit(session, "inbox.reply", author, row, {"outbox": queued.id})
            log.info("inbox item %s: staff reply queued as outbox row %s", item_id, queued.id)
            return None

    def mark_handled(self, item_id: int, actor: str) -> None:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            row = inbox.get_item(session, item_id)
            if row is None or row.item.handled_at is not None:
                return
            row.item.handled_at, row.item.handled_by = now, actor
            self._audit(session, "inbox.handled", actor, row)

    def _audit(
        self,
        session: Session,
        action: str,
        actor: str,
        row: inbox.ItemRow,
        detail: dict[str, object] | None = None,
    ) -> None:
        audit.record(
            session,
            at=self._container.clock(),
            actor=actor,
            action=action,
            subject=f"contact:{row.contact.code}",
            community_id=row.contact.community_id,
            detail={"item": row.item.id, "kind": row.item.kind, **(detail or {})},
        )
