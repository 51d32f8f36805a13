"""What the dashboard needs for contacts."""

from __future__ import annotations

from typing import Protocol


class ContactsPort(Protocol):
    """Implemented by bot/desks/contacts.py."""
