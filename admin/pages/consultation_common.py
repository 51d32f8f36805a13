"""What the consultation pages share: who may see one, names of statuses, local times."""

# No `from __future__ import annotations`: kept like the other page modules.
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import HTTPException

from admin.auth import N_, StaffIdentity, allowed
from admin.kit import PageKit
from admin.ports.consultations import Stored

STATUS_NAMES = {
    "draft": N_("Draft"),
    "scheduled": N_("Scheduled"),
    "open": N_("Open"),
    "closed": N_("Closed"),
}
LANGUAGE_NAMES = {"en": N_("English"), "cy": N_("Welsh")}
CHANNEL_NAMES = {"sms": N_("SMS"), "telegram": N_("Telegram")}
DONE = {
    "saved": N_("Saved as a draft."),
    "launched": N_("Launched: the invitations are on their way."),
    "scheduled": N_("Scheduled: the clock will send it at the time you chose."),
    "closed": N_("Closed: later answers are thanked but not stored."),
}


def may_see(kit: PageKit, who: StaffIdentity, stored: Stored) -> bool:
    """A consultation for every community (made with the CLI) is an admin's only."""
    if stored.community is None:
        return who.role == "admin"
    return allowed(who, "consultations", stored.community)


def find(kit: PageKit, who: StaffIdentity, consultation_id: str) -> Stored:
    """The consultation, or 404 when it does not exist or is another community's."""
    stored = kit.services.consultations.get(consultation_id)
    if stored is None or not may_see(kit, who, stored):
        raise HTTPException(status_code=404, detail="Not found")
    return stored


def timezone_of(kit: PageKit, community: str | None) -> str:
    found = kit.communities.get(community or "")
    return found.timezone if found else "Europe/London"


def local(kit: PageKit, moment: datetime | None, community: str | None) -> str:
    """A time as the community's clocks show it, like "2026-03-12 09:00"."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(timezone_of(kit, community))).strftime("%Y-%m-%d %H:%M")


def community_name(kit: PageKit, community: str | None, everyone: str) -> str:
    """The community's name, or `everyone` for a consultation sent to every community."""
    found = kit.communities.get(community or "")
    return found.name if found else everyone


def pounds(pence: float) -> str:
    return f"£{pence / 100:,.2f}"
