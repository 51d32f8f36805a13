"""Keep the communities table in step with the configuration file."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from conversations.types import Community as CommunityConfig
from storage.models import Community


def sync(session: Session, communities: Mapping[str, CommunityConfig]) -> None:
    """Insert or update each configured community; never delete one contacts may point at."""
    for config in communities.values():
        row = session.get(Community, config.id) or Community(id=config.id)
        row.name, row.nation, row.timezone = config.name, config.nation, config.timezone
        row.languages = list(config.languages)
        session.add(row)
