"""A hand-written in-memory family: applies the engine's effects the way storage does."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import load_communities
from conversations import effects as fx
from conversations.engine import Engine
from conversations.types import (
    Channel,
    Child,
    ContactSnapshot,
    ContactStatus,
    EngineConfig,
    InboundKind,
    InboundMessage,
    OutgoingMessage,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)


def engine_config() -> EngineConfig:
    return EngineConfig(
        communities=load_communities(ROOT / "config" / "communities.yaml"),
        default_community="bettws",
        privacy_notice_version="2026-11",
        privacy_notice_url="https://example.org/privacy",
        languages=("en", "cy"),
    )


ENGINE = Engine(engine_config())
_ids = itertools.count(1)


class Family:
    """One parent talking to the pure engine; `contact` is what storage would now hold."""

    def __init__(self, channel: Channel = Channel.SMS, now: datetime = NOW) -> None:
        self.channel = channel
        self.now = now
        self.contact = ContactSnapshot(
            id=1,
            channel=channel,
            community_id=None,
            language=None,
            status=ContactStatus.ONBOARDING,
            is_new=True,
        )
        self.consents: list[tuple[str, bool]] = []
        self.inbox: list[str] = []
        self.erased = False
        self.last: list[OutgoingMessage] = []

    def send(
        self,
        text: str = "",
        choice: str | None = None,
        kind: InboundKind | None = None,
        payload: str | None = None,
    ) -> list[OutgoingMessage]:
        event = InboundMessage(
            channel=self.channel,
            address="+447700900001",
            provider_id=f"m{next(_ids)}",
            received_at=self.now,
            kind=kind or (InboundKind.CHOICE if choice else InboundKind.TEXT),
            text=text,
            choice_id=choice,
            payload=payload,
        )
        result = ENGINE.step(self.contact, event, self.now)
        self.last = [
            e.message if isinstance(e, fx.Reply) else e.goodbye
            for e in result.effects
            if isinstance(e, fx.Reply | fx.EraseContact)
        ]
        self._apply(result)
        return self.last

    def press(self, label_or_id: str) -> list[OutgoingMessage]:
        """Press a button of the last question by its id or its visible label."""
        for choice in self.last[-1].choices:
            if label_or_id in (choice.id, choice.label):
                return self.send(choice=choice.id)
        raise AssertionError(f"no button {label_or_id!r} in {self.last[-1].choices}")

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.last)

    def _apply(self, result: fx.StepResult) -> None:
        contact = replace(self.contact, state=result.state, is_new=False)
        children = list(contact.children)
        for effect in result.effects:
            match effect:
                case fx.SetCommunity(community):
                    contact = replace(contact, community_id=community)
                case fx.SetLanguage(language):
                    contact = replace(contact, language=language)
                case fx.SetStatus(status):
                    contact = replace(contact, status=status)
                case fx.RecordConsent(version, agreed):
                    self.consents.append((version, agreed))
                    contact = replace(contact, consent_version=version if agreed else None)
                case fx.AddChild(nickname, birth, due):
                    children.append(Child(len(children) + 100, nickname, birth, due))
                case fx.UpdateChild(child_id, nickname, birth, due):
                    children = [
                        Child(c.id, nickname, birth, due) if c.id == child_id else c
                        for c in children
                    ]
                case fx.RemoveChild(child_id):
                    children = [c for c in children if c.id != child_id]
                case fx.Unexpected(text):
                    self.inbox.append(text)
                case fx.EraseContact():
                    self.erased = True
        self.contact = replace(contact, children=tuple(children))


def onboarded(language: str = "en", community: str = "feltham") -> Family:
    """A parent who has finished onboarding with one child born 1 May 2025."""
    family = Family()
    family.send(community)
    if len(ENGINE.config.communities[community].languages) > 1:
        family.press(f"lang:{language}")
    family.press("consent:yes")
    family.press("kind:born")
    family.send("1/5/2025")
    family.send("Sam")
    family.press("more:no")
    family.press("confirm:yes")
    assert family.contact.status is ContactStatus.ACTIVE
    return family
