"""The clock's consent pass: after the privacy notice changes, ask each parent again, once."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.consultations import snapshot_for
from bot.dispatcher import in_quiet_hours
from conversations.flows import reconsent
from conversations.types import MessageKind, OutgoingMessage
from storage import consent
from storage.db import transaction

if TYPE_CHECKING:
    from bot.container import Container


def run_consent_pass(container: Container, now: datetime) -> int:
    """Queue the re-consent question for idle parents on an older notice (never in quiet hours)."""
    settings = container.settings
    if in_quiet_hours(now, settings.quiet_window, settings.timezone):
        return 0
    config = container.engine.config

    def messages(language: str, channel: str, _key: str | None) -> tuple[OutgoingMessage, ...]:
        ctx = snapshot_for(config, language, channel, None)
        return (reconsent.question(ctx, MessageKind.PROACTIVE),)

    with transaction(container.sessions) as session:
        return consent.ask_again(session, config.privacy_notice_version, messages, now)
