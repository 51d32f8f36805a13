"""What the dashboard needs for API tokens and staff accounts."""

from __future__ import annotations

from typing import Protocol


class TokensPort(Protocol):
    """Implemented by bot/desks/tokens.py."""
