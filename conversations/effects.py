"""What a step asks the outside world to do; storage applies these in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from conversations.types import ContactStatus, ConversationState, OutgoingMessage


@dataclass(frozen=True, slots=True)
class Reply:
    message: OutgoingMessage


@dataclass(frozen=True, slots=True)
class SetCommunity:
    community_id: str


@dataclass(frozen=True, slots=True)
class SetLanguage:
    language: str


@dataclass(frozen=True, slots=True)
class RecordConsent:
    notice_version: str
    agreed: bool


@dataclass(frozen=True, slots=True)
class SetStatus:
    status: ContactStatus


@dataclass(frozen=True, slots=True)
class AddChild:
    nickname: str | None
    birth_date: date | None
    due_date: date | None
    welcome_tip_id: str | None = None  # a late joiner's first tip, sent with the welcome


@dataclass(frozen=True, slots=True)
class UpdateChild:
    child_id: int
    nickname: str | None
    birth_date: date | None
    due_date: date | None


@dataclass(frozen=True, slots=True)
class RemoveChild:
    child_id: int


@dataclass(frozen=True, slots=True)
class RecordReaction:
    tip_id: str
    reaction: str


@dataclass(frozen=True, slots=True)
class PauseTips:
    """Pause tips until that instant; None resumes them."""

    until: datetime | None


@dataclass(frozen=True, slots=True)
class SetTipSchedule:
    weekday: int  # Monday 0 … Sunday 6
    time: str  # "HH:MM", local


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    """An answer to a consultation question; `value` None means skipped.

    `next_question_id` is where the parent goes next (None: finished), so an interrupted
    consultation resumes at the right question.
    """

    consultation_id: str
    question_id: str
    value: str | None
    next_question_id: str | None


@dataclass(frozen=True, slots=True)
class RecordRsvp:
    """Yes, maybe, no, or waitlist (a yes when the event is full)."""

    event_id: str
    answer: str


@dataclass(frozen=True, slots=True)
class SendCalendar:
    """Send the event as an .ics file (Telegram only; SMS cannot carry files)."""

    event_id: str


@dataclass(frozen=True, slots=True)
class Unexpected:
    """A message no flow expected: kept for the staff inbox."""

    text: str


@dataclass(frozen=True, slots=True)
class Safeguarding:
    """A message with words on the safeguarding lists: an alert at the top of the inbox."""

    text: str
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EraseContact:
    """DELETE confirmed: erase the family, then send `goodbye` (the last message they get)."""

    goodbye: OutgoingMessage


@dataclass(frozen=True, slots=True)
class Signpost:
    """Where to get help, from the deployment's configuration: a reply, at most once a day."""

    message: OutgoingMessage


Effect = (
    Reply
    | SetCommunity
    | SetLanguage
    | RecordConsent
    | SetStatus
    | AddChild
    | UpdateChild
    | RemoveChild
    | RecordReaction
    | PauseTips
    | SetTipSchedule
    | RecordAnswer
    | RecordRsvp
    | SendCalendar
    | Unexpected
    | Safeguarding
    | EraseContact
    | Signpost
)


@dataclass(frozen=True, slots=True)
class StepResult:
    state: ConversationState
    effects: tuple[Effect, ...] = ()
