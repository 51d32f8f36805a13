"""One thing of every kind in Bettws, so the access matrix can name each in a path."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from bot import consultation_yaml
from bot.consultations import launch
from bot.settings import PROJECT_ROOT
from conversations.types import Channel
from storage.db import transaction
from storage.models import Contact
from tests.integration.world import World

PARENT = "+447700900811"


@dataclass
class Samples:
    world: World
    values: dict[str, str] = field(default_factory=dict)  # path parameter -> a Bettws thing


def make_samples(world: World) -> Samples:
    """A Bettws parent, and a Bettws consultation launched to them."""
    world.join(Channel.SMS, PARENT, "bettws", "2", "1", "2", "3/1/2025", "skip", "2", "1")
    consultation, problems = consultation_yaml.load(
        PROJECT_ROOT / "examples" / "consultations" / "play-park.yaml"
    )
    assert consultation is not None, problems
    launch(world.container, consultation)
    with transaction(world.container.sessions) as session:
        code = session.scalars(
            select(Contact.code).where(Contact.id == world.contact_id(PARENT))
        ).one()
    return Samples(
        world,
        {"community_id": "bettws", "consultation_id": consultation.id, "code": code},
    )
