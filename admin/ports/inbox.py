"""What the dashboard needs for the inbox."""

from __future__ import annotations

from typing import Protocol


class InboxPort(Protocol):
    """Implemented by bot/desks/inbox.py."""
