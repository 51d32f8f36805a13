"""Plain data passed into and out of the pure conversation engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from conversations.safeguarding import Screen

if TYPE_CHECKING:
    from conversations.consultations.model import Consultation
    from conversations.content.library import TipLibrary
    from conversations.events.model import Event


class Channel(StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"


class ContactStatus(StrEnum):
    ONBOARDING = "onboarding"
    ACTIVE = "active"
    DECLINED = "declined"
    OPTED_OUT = "opted_out"


class InboundKind(StrEnum):
    TEXT = "text"
    START = "start"  # Telegram /start, with an optional deep-link payload
    CHOICE = "choice"  # a button press (Telegram callback_query)
    MEDIA = "media"  # photo, voice note, sticker: things the bot cannot read


class MessageKind(StrEnum):
    REPLY = "reply"  # an answer to the parent: never held by quiet hours
    PROACTIVE = "proactive"  # tips, reminders, launches: held by quiet hours and opt-outs


@dataclass(frozen=True, slots=True)
class ButtonPress:
    """Telegram's details of a pressed button: enough to stop the spinner and show the choice."""

    query_id: str
    message_id: int | None = None
    message_text: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a parent, whatever the channel."""

    channel: Channel
    address: str
    provider_id: str
    received_at: datetime
    kind: InboundKind = InboundKind.TEXT
    text: str = ""
    choice_id: str | None = None
    payload: str | None = None
    press: ButtonPress | None = None


@dataclass(frozen=True, slots=True)
class Choice:
    """A choice offered to the parent: a button on Telegram, a numbered line on SMS."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """An abstract message; `conversations.render` turns it into channel text."""

    text: str
    locales: tuple[str, ...]
    choices: tuple[Choice, ...] = ()
    kind: MessageKind = MessageKind.REPLY
    list_on_sms: bool = True  # False: buttons on Telegram only, so an SMS stays one segment

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "text": self.text,
            "locales": list(self.locales),
            "choices": [[c.id, c.label] for c in self.choices],
            "kind": self.kind.value,
        }
        if not self.list_on_sms:
            data["list_on_sms"] = False
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutgoingMessage:
        return cls(
            text=str(data["text"]),
            locales=tuple(data["locales"]),
            choices=tuple(Choice(str(i), str(label)) for i, label in data.get("choices", [])),
            kind=MessageKind(data.get("kind", MessageKind.REPLY.value)),
            list_on_sms=bool(data.get("list_on_sms", True)),
        )


@dataclass(frozen=True, slots=True)
class Child:
    """A child as the engine sees it: a birth date or a due date, never both."""

    id: int | None
    nickname: str | None
    birth_date: date | None = None
    due_date: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "nickname": self.nickname,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Child:
        birth, due = data.get("birth_date"), data.get("due_date")
        return cls(
            id=data.get("id"),
            nickname=data.get("nickname"),
            birth_date=date.fromisoformat(birth) if birth else None,
            due_date=date.fromisoformat(due) if due else None,
        )


@dataclass(frozen=True, slots=True)
class ConversationState:
    """Where the parent is in a flow; `data` must be JSON-serialisable."""

    flow: str | None = None
    step: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


IDLE = ConversationState()


@dataclass(frozen=True, slots=True)
class EventView:
    """An upcoming event in the contact's community, as this contact stands with it."""

    event: Event
    places_left: int | None  # None: no capacity limit
    my_answer: str | None = None  # yes, maybe, no or waitlist; None if not answered


@dataclass(frozen=True, slots=True)
class Records:
    """What else is held about a contact, for MYDATA: channels, consent time and counts."""

    channels: tuple[str, ...] = ()
    consented_at: datetime | None = None
    consultations: int = 0  # consultations with at least one answer
    events: int = 0  # events with a yes, maybe, no or waitlist answer


@dataclass(frozen=True, slots=True)
class ContactSnapshot:
    """Everything the engine may know about a contact when a message arrives."""

    id: int | None
    channel: Channel
    community_id: str | None
    language: str | None
    status: ContactStatus
    consent_version: str | None = None
    children: tuple[Child, ...] = ()
    state: ConversationState = IDLE
    is_new: bool = False
    last_tip_id: str | None = None
    last_tip_at: datetime | None = None
    tips_paused_until: datetime | None = None
    tip_weekday: int = 1
    tip_time: str = "10:00"
    consultation: Consultation | None = None  # the one the parent is answering, if any
    consultation_closed: bool = False  # closed early by staff (closes_at is in `consultation`)
    events: tuple[EventView, ...] = ()  # upcoming, not cancelled, in the contact's community
    records: Records | None = None  # loaded for the message being handled (MYDATA reads it)


@dataclass(frozen=True, slots=True)
class Community:
    id: str
    name: str
    nation: str
    languages: tuple[str, ...]
    timezone: str


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Deployment facts the engine needs; built once by the composition root."""

    communities: Mapping[str, Community]
    default_community: str
    privacy_notice_version: str
    privacy_notice_url: str
    languages: tuple[str, ...] = ("en", "cy")
    max_children: int = 6
    tips: TipLibrary | None = None
    pause_days: int = 28
    safeguarding: Screen = field(default_factory=Screen)  # word lists every message is screened by
    privacy_contact: str = ""  # how to ask for a full copy of one's data (MYDATA); "" = reply here
    signposting: Mapping[str, str] = field(default_factory=dict)  # language -> where to get help
