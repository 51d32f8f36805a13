"""One thing of every kind in Bettws, so the access matrix can name each in a path."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.integration.world import World


@dataclass
class Samples:
    world: World
    values: dict[str, str] = field(default_factory=dict)  # path parameter -> a Bettws thing


def make_samples(world: World) -> Samples:
    return Samples(world, {"community_id": "bettws"})
