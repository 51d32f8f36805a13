"""Builds the dashboard's services from the container."""

from __future__ import annotations

from typing import TYPE_CHECKING

from admin.services import DashboardServices
from bot.desks.api import ApiDesk
from bot.desks.audit import AuditDesk
from bot.desks.consultations import ConsultationsDesk
from bot.desks.contacts import ContactsDesk
from bot.desks.content import ContentDesk
from bot.desks.delivery import DeliveryDesk
from bot.desks.events import EventsDesk
from bot.desks.exports import ExportsDesk
from bot.desks.inbox import InboxDesk
from bot.desks.overview import OverviewDesk
from bot.desks.results import ResultsDesk
from bot.desks.simulator import SimulatorDesk
from bot.desks.tokens import TokensDesk

if TYPE_CHECKING:
    from bot.container import Container


def dashboard_services(container: Container) -> DashboardServices:
    return DashboardServices(
        overview=OverviewDesk(container),
        consultations=ConsultationsDesk(container),
        results=ResultsDesk(container),
        events=EventsDesk(container),
        content=ContentDesk(container),
        contacts=ContactsDesk(container),
        inbox=InboxDesk(container),
        simulator=SimulatorDesk(container),
        delivery=DeliveryDesk(container),
        tokens=TokensDesk(container),
        api=ApiDesk(container),
        audit=AuditDesk(container),
        exports=ExportsDesk(container),
    )
