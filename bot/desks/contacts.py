"""The service behind the dashboard's contacts: set-based search, and an audited open."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from admin.ports.contacts import (
    Address,
    ChildDetail,
    ContactBrief,
    ContactDetail,
    ContactPage,
    ContactSummary,
)
from admin.ports.content import band_of
from conversations.content.library import stage_on
from storage import audit, contact_search, erasure, rights
from storage.contact_search import ContactFilter
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


def band_key(today: date, birth: date | None, due: date | None) -> str:
    """The child's age band today, or "" outside the programme."""
    stage = stage_on(today, birth, due)
    band = band_of(*stage) if stage else None
    return band.key if band else ""


class ContactsDesk:
    def __init__(self, container: Container) -> None:
        self._container = container

    def _today(self) -> date:
        return (
            self._container.clock().astimezone(ZoneInfo(self._container.settings.timezone)).date()
        )

    def search(self, where: ContactFilter, page: int, per_page: int) -> ContactPage:
        today = self._today()
        with transaction(self._container.sessions) as session:
            total, rows = contact_search.search(
                session, where, per_page, max(page - 1, 0) * per_page
            )
        return ContactPage(
            total,
            tuple(
                ContactSummary(
                    row.code,
                    row.community_id,
                    row.language,
                    row.channels,
                    row.status,
                    row.simulated,
                    row.joined.date(),
                    tuple(band_key(today, birth, due) for birth, due in row.children),
                )
                for row in rows
            ),
        )

    def open(self, code: str, communities: list[str], actor: str) -> ContactDetail | None:
        now, today = self._container.clock(), self._today()
        with transaction(self._container.sessions) as session:
            contact = contact_search.by_code(session, code, communities)
            if contact is None:
                return None
            consent = contact_search.latest_consent(session, contact.id)
            children = tuple(
                ChildDetail(
                    child.nickname,
                    band_key(today, child.birth_date, child.due_date),
                    child.birth_date.strftime("%Y-%m") if child.birth_date else None,
                    child.due_date.strftime("%Y-%m") if child.due_date else None,
                )
                for child in contact_search.children(session, contact.id)
            )
            addresses = tuple(
                Address(i.channel, i.address, i.reachable)
                for i in contact_search.identities(session, contact.id)
            )
            messages = tuple(contact_search.recent_messages(session, contact.id))
            audit.record(
                session,
                at=now,
                actor=actor,
                action="contact.open",
                subject=f"contact:{contact.code}",
                community_id=contact.community_id,
            )
            return ContactDetail(
                code=contact.code,
                community_id=contact.community_id,
                language=contact.language,
                status=contact.status,
                simulated=contact.is_simulated,
                joined=contact.created_at.date(),
                consent_version=contact.consent_version,
                consent_at=consent.recorded_at if consent and consent.agreed else None,
                children=children,
                tip_weekday=contact.tip_weekday,
                tip_time=contact.tip_time,
                next_tip_at=contact.next_tip_at,
                paused_until=contact.paused_until,
                addresses=addresses,
                messages=messages,
            )

    def brief(self, code: str, communities: list[str]) -> ContactBrief | None:
        with transaction(self._container.sessions) as session:
            contact = contact_search.by_code(session, code, communities)
            if contact is None:
                return None
            children = len(contact_search.children(session, contact.id))
            return ContactBrief(
                contact.code, contact.community_id, contact.status, contact.is_simulated, children
            )

    def copy(self, code: str, communities: list[str], actor: str) -> dict[str, Any] | None:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            contact = contact_search.by_code(session, code, communities)
            if contact is None:
                return None
            found = rights.full_copy(session, contact)
            audit.record(
                session,
                at=now,
                actor=actor,
                action="contact.copy",
                subject=f"contact:{contact.code}",
                community_id=contact.community_id,
            )
            return {"made_at": now.isoformat(), "made_by": actor, **found}

    def erase(self, code: str, communities: list[str], actor: str, reason: str) -> bool:
        now = self._container.clock()
        with transaction(self._container.sessions) as session:
            contact = contact_search.by_code(session, code, communities)
            if contact is None:
                return False
            audit.record(
                session,
                at=now,
                actor=actor,
                action="contact.erase",
                subject=f"contact:{contact.code}",
                community_id=contact.community_id,
                reason=reason,
            )
            contact_id = contact.id
            session.flush()
            session.expunge(contact)
            erasure.erase(session, contact_id, now)
            return True
