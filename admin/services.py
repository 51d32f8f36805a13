"""Everything the dashboard and the API call, handed in by the composition root (bot/web.py)."""

from __future__ import annotations

from dataclasses import dataclass

from admin.ports.api import ApiPort
from admin.ports.audit import AuditPort
from admin.ports.consultations import ConsultationsPort
from admin.ports.contacts import ContactsPort
from admin.ports.content import ContentPort
from admin.ports.delivery import DeliveryPort
from admin.ports.events import EventsPort
from admin.ports.exports import ExportsPort
from admin.ports.inbox import InboxPort
from admin.ports.overview import OverviewPort
from admin.ports.results import ResultsPort
from admin.ports.simulator import SimulatorPort
from admin.ports.tokens import TokensPort


@dataclass(frozen=True, slots=True)
class DashboardServices:
    overview: OverviewPort
    consultations: ConsultationsPort
    results: ResultsPort
    events: EventsPort
    content: ContentPort
    contacts: ContactsPort
    inbox: InboxPort
    simulator: SimulatorPort
    delivery: DeliveryPort
    tokens: TokensPort
    api: ApiPort
    audit: AuditPort
    exports: ExportsPort
