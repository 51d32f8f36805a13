"""The privacy notice parents are asked to agree to, as whole translated paragraphs."""

from __future__ import annotations

from html import escape

from conversations.flows.base import N_
from conversations.i18n import translator

PARAGRAPHS = (
    N_(
        "This service is run by your local Early Learning Community, a partnership of "
        "Save the Children UK, your council, health visitors, nurseries and families."
    ),
    N_(
        "We keep your phone number or Telegram account, your language, your community, "
        "your children's birth or due dates and any nickname you give, and your answers "
        "to our questions."
    ),
    N_(
        "We use them only to send you tips that fit your child's age, to ask what you "
        "think about local services, and to remind you about events. We never sell them."
    ),
    N_(
        "Messages travel through Telegram or through Twilio, our text message provider. "
        "Reports about what residents told us never show who said what."
    ),
    N_(
        "You can stop at any time by sending STOP. You can ask what we hold about you, "
        "or ask us to delete it, and we will answer within one month."
    ),
)


def notice_paragraphs(lang: str) -> list[str]:
    """The notice in one language, HTML-escaped."""
    tr = translator(lang)
    return [escape(tr._(paragraph)) for paragraph in PARAGRAPHS]
