"""What the dashboard needs for the simulator."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class SimulatorRefused(ValueError):
    """A start the simulator cannot make; `msgid` says why, for the page to show."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    choice_id: str


@dataclass(frozen=True, slots=True)
class Bubble:
    """One message in the transcript, exactly as the channel shows it."""

    mine: bool  # sent by the simulated parent
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # Telegram's inline keyboard rows
    segments: int | None = None  # SMS from the bot: parts and encoding
    encoding: str | None = None
    live: bool = False  # its buttons can still be pressed


@dataclass(frozen=True, slots=True)
class Conversation:
    session_id: int
    channel: str  # "sms" or "telegram"
    language: str  # the language the parent means to choose
    community_id: str
    code: str  # the simulated contact's pseudonymous code
    bubbles: tuple[Bubble, ...]


class SimulatorPort(Protocol):
    """Implemented by bot/desks/simulator.py; `who` is the staff username."""

    def start(self, who: str, community_id: str, channel: str, language: str) -> int:
        """A fresh simulated parent (ending this person's previous one); the session id."""
        ...

    def current(self, who: str) -> int | None:
        """This person's conversation still going, if any."""
        ...

    def conversation(self, who: str, session_id: int) -> Conversation | None:
        """The transcript (delivering what is due first); None unless it is theirs and open."""
        ...

    def send(self, who: str, session_id: int, text: str = "", choice: str = "") -> bool:
        """The parent types `text` or presses the button `choice`; False if not theirs."""
        ...

    def end(self, who: str, session_id: int) -> bool:
        """Forget the simulated parent; False if not theirs or already ended."""
        ...
