"""What every flow uses: the step context, questions with choices, and answer matching."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from conversations.effects import Effect, Reply, StepResult
from conversations.i18n import translator
from conversations.parsing.options import Option, match_option, yes_no
from conversations.types import (
    IDLE,
    Choice,
    Community,
    ContactSnapshot,
    ConversationState,
    EngineConfig,
    MessageKind,
    OutgoingMessage,
)


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@dataclass(frozen=True, slots=True)
class Answer:
    """A parent's reply, reduced to what flows read: typed text or a pressed button."""

    text: str
    choice_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChoiceSpec:
    """A choice before translation: its id, its English label and extra words that mean it."""

    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    # A language's own name ("Cymraeg", "English") is shown as it is, never translated.
    translated: bool = True


@dataclass(frozen=True, slots=True)
class Ctx:
    """One step's view of the world: configuration, the contact, the time and the language."""

    config: EngineConfig
    contact: ContactSnapshot
    now: datetime

    @property
    def community(self) -> Community:
        cid = self.contact.community_id or self.config.default_community
        return (
            self.config.communities.get(cid)
            or self.config.communities[self.config.default_community]
        )

    @property
    def locales(self) -> tuple[str, ...]:
        """The contact's language, or every language of the community until one is chosen."""
        if self.contact.language:
            return (self.contact.language,)
        return self.community.languages

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.community.timezone)).date()

    def with_language(self, language: str) -> Ctx:
        if self.contact.language == language:
            return self
        return Ctx(self.config, replace(self.contact, language=language), self.now)

    def text(self, message: str, **values: Any) -> str:
        """One sentence in every current locale, each composed whole, joined by blank lines."""
        locales = self.locales
        if not values:
            return _text(message, locales)
        if len(locales) == 1:
            return translator(locales[0])._(message, **values)
        return "\n\n".join(translator(lang)._(message, **values) for lang in locales)

    def label(self, message: str) -> str:
        return _label(message, self.locales)

    def message(
        self,
        text: str,
        choices: Sequence[ChoiceSpec] = (),
        kind: MessageKind = MessageKind.REPLY,
    ) -> OutgoingMessage:
        locales = self.locales
        built = _choices(tuple(choices), locales) if choices else ()
        return OutgoingMessage(text=text, locales=locales, choices=built, kind=kind)

    def say(self, text: str, choices: Sequence[ChoiceSpec] = ()) -> Reply:
        return Reply(self.message(text, choices))

    def pick(self, answer: Answer, choices: Sequence[ChoiceSpec]) -> str | None:
        """The id of the choice the parent meant, from a button, a number or words."""
        if answer.choice_id is not None:
            ids = {spec.id for spec in choices}
            return answer.choice_id if answer.choice_id in ids else None
        return match_option(answer.text, _options(tuple(choices), self.config.languages))

    def pick_yes_no(self, answer: Answer, yes: ChoiceSpec, no: ChoiceSpec) -> str | None:
        """Like `pick`, but any yes or no word ('ie', 'nope', '👍') also answers."""
        picked = self.pick(answer, (yes, no))
        if picked is None and answer.choice_id is None:
            verdict = yes_no(answer.text)
            picked = None if verdict is None else (yes.id if verdict else no.id)
        return picked


# Translations are fixed once loaded, and choices and messages are a fixed set written in the
# code, so these depend only on their arguments; bounded all the same.
@lru_cache(maxsize=4096)
def _text(message: str, locales: tuple[str, ...]) -> str:
    return "\n\n".join(translator(lang)._(message) for lang in locales)


@lru_cache(maxsize=4096)
def _label(message: str, locales: tuple[str, ...]) -> str:
    return " / ".join(dict.fromkeys(translator(lang)._(message) for lang in locales))


@lru_cache(maxsize=4096)
def _choices(specs: tuple[ChoiceSpec, ...], locales: tuple[str, ...]) -> tuple[Choice, ...]:
    """The buttons for these choices in these locales."""
    return tuple(
        Choice(spec.id, _label(spec.label, locales) if spec.translated else spec.label)
        for spec in specs
    )


@lru_cache(maxsize=4096)
def _options(specs: tuple[ChoiceSpec, ...], languages: tuple[str, ...]) -> tuple[Option, ...]:
    """The choices as options to match replies against: labels in every language, synonyms."""
    return tuple(
        Option(
            spec.id,
            tuple(
                translator(lang)._(spec.label) if spec.translated else spec.label
                for lang in languages
            )
            + spec.synonyms,
        )
        for spec in specs
    )


class Flow(Protocol):
    """A conversation: it can (re)ask its current question and handle an answer to it."""

    def ask(self, ctx: Ctx, state: ConversationState) -> OutgoingMessage: ...

    def handle(self, ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult: ...


@dataclass(frozen=True, slots=True)
class FlowFunctions:
    """A flow made of a module's `ask` and `handle` functions."""

    ask: Callable[[Ctx, ConversationState], OutgoingMessage]
    handle: Callable[[Ctx, ConversationState, Answer], StepResult]


def at(flow: str, step: str, data: Mapping[str, Any] | None = None) -> ConversationState:
    return ConversationState(flow=flow, step=step, data=dict(data or {}))


def done(*effects: Effect) -> StepResult:
    return StepResult(IDLE, tuple(effects))


def go(flow: Flow, ctx: Ctx, state: ConversationState, *effects: Effect) -> StepResult:
    """Move to `state` and ask its question, after any effects that lead there."""
    return StepResult(state, (*effects, Reply(flow.ask(ctx, state))))


def retry(flow: Flow, ctx: Ctx, state: ConversationState, reason: str | None = None) -> StepResult:
    """Kindly say the reply was not understood and ask the same question again."""
    question = flow.ask(ctx, state)
    lead = reason if reason is not None else ctx.text(N_("Sorry, I didn't understand that."))
    return StepResult(state, (Reply(with_lead(question, lead)),))


def with_lead(message: OutgoingMessage, lead: str) -> OutgoingMessage:
    """The message with a paragraph before it (built directly: `replace` is slow)."""
    return OutgoingMessage(
        f"{lead}\n\n{message.text}",
        message.locales,
        message.choices,
        message.kind,
        message.list_on_sms,
    )
