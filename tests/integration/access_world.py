"""One thing of every kind in Bettws, so the access matrix can name each in a path."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot import consultation_yaml, event_yaml
from bot.consultations import launch
from bot.desks.simulator import SimulatorDesk
from bot.events import create as create_event
from bot.settings import PROJECT_ROOT
from conversations.types import Channel
from storage import api_tokens
from storage.db import transaction
from storage.models import Contact, InboxItem, Outbox
from storage.staff_models import StaffUser
from tests.integration.world import World

PARENT = "+447700900811"


@dataclass
class Samples:
    world: World
    values: dict[str, str] = field(default_factory=dict)  # path parameter -> a Bettws thing


def make_samples(world: World) -> Samples:
    """A Bettws parent; a Bettws consultation and event sent to them; a message to them that
    failed; wendy's simulator conversation; ada's API token. Call after the staff exist."""
    world.join(Channel.SMS, PARENT, "bettws", "2", "1", "2", "3/1/2025", "skip", "2", "1")
    world.say(PARENT, "is the library open on saturday?")  # no flow expects it: the inbox
    consultation, problems = consultation_yaml.load(
        PROJECT_ROOT / "examples" / "consultations" / "play-park.yaml"
    )
    assert consultation is not None, problems
    launch(world.container, consultation)
    event, problems = event_yaml.load(PROJECT_ROOT / "examples" / "events" / "rhyme-time.yaml")
    assert event is not None, problems
    create_event(world.container, event)
    conversation = SimulatorDesk(world.container).start("wendy", "bettws", "sms", "en")
    parent = world.contact_id(PARENT)
    with transaction(world.container.sessions) as session:
        code = session.scalars(select(Contact.code).where(Contact.id == parent)).one()
        failed = session.scalars(
            select(Outbox).where(Outbox.contact_id == parent).order_by(Outbox.id).limit(1)
        ).one()
        failed.status, failed.error_code = "failed", "30003"
        wendy = session.scalars(select(StaffUser.id).where(StaffUser.username == "wendy")).one()
        token = api_tokens.create(
            session,
            name="reports",
            prefix="elc_fake0000",
            token_hash="0" * 64,
            role="coordinator",
            communities=["bettws"],
            created_by="ada",
            now=world.now,
        )
        session.flush()
        token_id = token.id
        item = session.scalars(select(InboxItem.id).where(InboxItem.contact_id == parent)).one()
    return Samples(
        world,
        {
            "community_id": "bettws",
            "consultation_id": consultation.id,
            "event_id": event.id,
            "code": code,
            "outbox_id": str(failed.id),
            "session_id": str(conversation),
            "user_id": str(wendy),
            "token_id": str(token_id),
            "item_id": str(item),
        },
    )
