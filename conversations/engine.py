"""The pure engine: (contact snapshot, inbound message, now) -> (new state, effects)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType

from conversations.effects import (
    Effect,
    RecordConsent,
    Reply,
    Safeguarding,
    SetCommunity,
    SetStatus,
    Signpost,
    StepResult,
    Unexpected,
)
from conversations.flows import (
    birth,
    children,
    consultation,
    events,
    language,
    onboarding,
    reconsent,
    rights,
    schedule,
    tips,
)
from conversations.flows.base import N_, Answer, Ctx, Flow
from conversations.i18n import translator
from conversations.keywords import Keyword, match_keyword, word_for
from conversations.parsing.text import fold
from conversations.types import (
    IDLE,
    ContactSnapshot,
    ContactStatus,
    EngineConfig,
    InboundKind,
    InboundMessage,
    OutgoingMessage,
)

FLOWS: dict[str, Flow] = {
    onboarding.FLOW: onboarding.FLOW_OBJECT,
    language.FLOW: language.FLOW_OBJECT,
    children.FLOW: children.FLOW_OBJECT,
    schedule.FLOW: schedule.FLOW_OBJECT,
    birth.FLOW: birth.FLOW_OBJECT,
    consultation.FLOW: consultation.FLOW_OBJECT,
    events.FLOW: events.FLOW_OBJECT,
    rights.FLOW: rights.FLOW_OBJECT,
    reconsent.FLOW: reconsent.FLOW_OBJECT,
}


def flow_named(name: str) -> Flow:
    return FLOWS[name]


class Engine:
    """Routes each message: keywords first, then the open flow, then onboarding or the inbox."""

    def __init__(self, config: EngineConfig) -> None:
        self.config = config

    def step(self, contact: ContactSnapshot, event: InboundMessage, now: datetime) -> StepResult:
        ctx = Ctx(self.config, contact, now)
        prefix: tuple[SetCommunity, ...] = ()
        text = event.text
        if contact.is_new:
            community, text = self._community_for(event)
            prefix = (SetCommunity(community),)
            ctx = Ctx(self.config, _with_community(contact, community), now)
        result = self._route(ctx, event, text)
        screened = self._screened(ctx, event, result.effects)
        if not prefix and screened is result.effects:
            return result
        return StepResult(result.state, prefix + screened)

    def _screened(
        self, ctx: Ctx, event: InboundMessage, effects: tuple[Effect, ...]
    ) -> tuple[Effect, ...]:
        """Every text, in every state, against every language's list; the flow is unchanged.

        A match becomes one safeguarding alert, in place of an "unexpected" inbox item, and
        the deployment's signposting goes first (storage sends it at most once a day).
        """
        matched = self.config.safeguarding.match(event.text)
        if not matched:
            return effects
        kept = tuple(e for e in effects if not isinstance(e, Unexpected))
        signpost = signposting(ctx)
        lead = (Signpost(signpost),) if signpost is not None else ()
        return (*lead, *kept, Safeguarding(event.text, tuple(matched)))

    def _community_for(self, event: InboundMessage) -> tuple[str, str]:
        """The community named by a deep link or the first SMS word, and the text left over."""
        known = self.config.communities
        if event.kind is InboundKind.START:
            payload = fold(event.payload or "")
            return (payload if payload in known else self.config.default_community), ""
        words = event.text.split(maxsplit=1)
        first = fold(words[0]).strip(".,!?") if words else ""
        if first in known:
            return first, words[1] if len(words) > 1 else ""
        return self.config.default_community, event.text

    def _route(self, ctx: Ctx, event: InboundMessage, text: str) -> StepResult:
        contact = ctx.contact
        state = contact.state
        keyword = match_keyword(text) if event.kind is InboundKind.TEXT else None
        if keyword is not None:
            return self._keyword(ctx, keyword)
        if reconsent.stale(ctx):
            return self._reconsent(ctx, event, text)
        reaction = tips.reaction_from_choice(event.choice_id or "")
        if reaction is not None and contact.status is ContactStatus.ACTIVE:
            return tips.react(ctx, *reaction)
        if event.choice_id is not None and contact.status is ContactStatus.ACTIVE:
            pressed = events.pressed(ctx, event.choice_id)  # an RSVP or EVENTS list button
            if pressed is not None:
                return pressed
        if contact.status is ContactStatus.OPTED_OUT and state.flow != rights.FLOW:
            return StepResult(state, (ctx.say(_unsubscribed(ctx)),))
        if state.flow is None or state.flow not in FLOWS:
            if contact.status is ContactStatus.DECLINED:
                return _then([SetStatus(ContactStatus.ONBOARDING)], onboarding.begin(ctx))
            if contact.status is ContactStatus.ONBOARDING:
                return onboarding.begin(ctx)
            return self._idle(ctx, event, text)
        flow = FLOWS[state.flow]
        if event.kind is InboundKind.MEDIA:
            lead = ctx.text(N_("Sorry, I can only read text messages."))
            return StepResult(state, (ctx.say(lead), Reply(flow.ask(ctx, state))))
        if event.kind is InboundKind.START:
            return StepResult(state, (Reply(flow.ask(ctx, state)),))
        return flow.handle(ctx, state, Answer(text, event.choice_id))

    def _reconsent(self, ctx: Ctx, event: InboundMessage, text: str) -> StepResult:
        """Nothing else until the parent answers the new notice; then what it interrupted."""
        state = ctx.contact.state
        answering = state.flow == reconsent.FLOW or (event.choice_id or "").startswith("consent:")
        if not answering or event.kind not in (InboundKind.TEXT, InboundKind.CHOICE):
            return reconsent.begin(ctx, state)
        result = reconsent.handle(ctx, state, Answer(text=text, choice_id=event.choice_id))
        agreed = any(isinstance(e, RecordConsent) and e.agreed for e in result.effects)
        resumed = reconsent.interrupted(state) if agreed else None
        if resumed is None or resumed.flow not in FLOWS:
            return result
        agreed_ctx = Ctx(
            self.config,
            replace(ctx.contact, consent_version=self.config.privacy_notice_version),
            ctx.now,
        )
        question = Reply(FLOWS[str(resumed.flow)].ask(agreed_ctx, resumed))
        return StepResult(resumed, (*result.effects, question))

    def _idle(self, ctx: Ctx, event: InboundMessage, text: str) -> StepResult:
        """An active parent with no open question: greet, or keep the message for staff."""
        if event.kind is InboundKind.START:
            return StepResult(IDLE, (ctx.say(ctx.text(N_("Welcome back!")) + "\n\n" + _help(ctx)),))
        if event.kind is InboundKind.MEDIA:
            return StepResult(
                IDLE, (ctx.say(ctx.text(N_("Sorry, I can only read text messages."))),)
            )
        reaction = tips.reaction_from_text(ctx, text)
        if reaction is not None:
            return tips.react(ctx, *reaction)
        reply = ctx.text(
            N_(
                "Thank you for your message. Someone from our team may read it. "
                "Send HELP to see what I can do."
            )
        )
        kept = (Unexpected(text),) if text.strip() else ()
        return StepResult(IDLE, (*kept, ctx.say(reply)))

    def _keyword(self, ctx: Ctx, keyword: Keyword) -> StepResult:
        contact = ctx.contact
        state = contact.state
        if keyword is Keyword.STOP:
            # Never stored as an answer: the open flow is simply abandoned.
            bye = ctx.text(
                N_(
                    "You've unsubscribed and won't get any more messages from us. "
                    "If you'd like to come back, send START."
                )
            )
            return StepResult(IDLE, (SetStatus(ContactStatus.OPTED_OUT), ctx.say(bye)))
        if keyword is Keyword.START:
            return self._start(ctx)
        if keyword is Keyword.HELP:
            return _carry_on(ctx, ctx.say(_help(ctx)))
        # A family's rights hold in every state, opted out or not yet set up.
        if keyword is Keyword.MYDATA:
            return _carry_on(ctx, ctx.say(rights.describe(ctx)))
        if keyword is Keyword.DELETE:
            return rights.begin(ctx, state)
        if contact.status is ContactStatus.OPTED_OUT:
            return StepResult(state, (ctx.say(_unsubscribed(ctx)),))
        if keyword is Keyword.LANGUAGE:
            if state.flow == language.FLOW or (
                state.flow == onboarding.FLOW and state.step == "language"
            ):
                return StepResult(state, (Reply(FLOWS[state.flow].ask(ctx, state)),))
            return language.begin(ctx, state)
        if contact.status is not ContactStatus.ACTIVE:
            lead = ctx.say(ctx.text(N_("Let's finish getting you set up first.")))
            if state.flow in FLOWS:
                return StepResult(state, (lead, Reply(FLOWS[state.flow].ask(ctx, state))))
            return _then([lead], onboarding.begin(ctx))
        if keyword is Keyword.PAUSE:
            return tips.pause(ctx)
        if keyword is Keyword.RESUME:
            return tips.resume(ctx)
        if keyword is Keyword.TIPS:
            return schedule.begin(ctx)
        if keyword is Keyword.EVENTS:
            return events.list_events(ctx)
        return children.begin(ctx)

    def _start(self, ctx: Ctx) -> StepResult:
        contact = ctx.contact
        if contact.status is ContactStatus.ACTIVE:
            already = ctx.text(N_("You're already signed up.")) + "\n\n" + _help(ctx)
            return StepResult(contact.state, (ctx.say(already),))
        if contact.status is ContactStatus.ONBOARDING and contact.state.flow in FLOWS:
            flow = FLOWS[str(contact.state.flow)]
            return StepResult(contact.state, (Reply(flow.ask(ctx, contact.state)),))
        if (
            contact.status is ContactStatus.OPTED_OUT
            and contact.children
            and (contact.consent_version != self.config.privacy_notice_version)
        ):
            # Back after the notice changed (or after declining it): asked before anything else.
            return _then([SetStatus(ContactStatus.ACTIVE)], reconsent.begin(ctx, IDLE))
        finished = contact.consent_version is not None and bool(contact.children)
        if contact.status is ContactStatus.OPTED_OUT and finished:
            back = ctx.text(N_("Welcome back! You'll get messages from us again."))
            consent = RecordConsent(contact.consent_version or "", agreed=True)
            return StepResult(IDLE, (SetStatus(ContactStatus.ACTIVE), consent, ctx.say(back)))
        return _then([SetStatus(ContactStatus.ONBOARDING)], onboarding.begin(ctx))


def _carry_on(ctx: Ctx, said: Reply) -> StepResult:
    """Say something, then ask the open question again (or begin onboarding)."""
    contact, state = ctx.contact, ctx.contact.state
    effects: list[Effect] = [said]
    opted_out = contact.status is ContactStatus.OPTED_OUT
    if state.flow in FLOWS and (not opted_out or state.flow == rights.FLOW):
        effects.append(Reply(FLOWS[state.flow].ask(ctx, state)))
    elif contact.status is ContactStatus.ONBOARDING and state.flow is None:
        return _then(effects, onboarding.begin(ctx))
    return StepResult(state, tuple(effects))


def signposting(ctx: Ctx) -> OutgoingMessage | None:
    """The deployment's signposting text in the parent's language(s), or None if unset."""
    texts = ctx.config.signposting
    blocks = [texts[lang] for lang in ctx.locales if texts.get(lang)]
    if not blocks and texts:
        blocks = [texts.get("en") or next(iter(texts.values()))]
    if not blocks:
        return None
    return OutgoingMessage(text="\n\n".join(blocks), locales=ctx.locales)


def _then(effects: list[Effect], result: StepResult) -> StepResult:
    return StepResult(result.state, (*effects, *result.effects))


def _with_community(contact: ContactSnapshot, community: str) -> ContactSnapshot:
    return replace(contact, community_id=community)


def _unsubscribed(ctx: Ctx) -> str:
    return ctx.text(
        N_("You're unsubscribed, so we won't send you messages. To join again, send START.")
    )


@lru_cache(maxsize=16)  # one set of keywords per language
def _keyword_words(lang: str) -> Mapping[str, str]:
    return MappingProxyType({k.value: word_for(k, lang) for k in Keyword})


def _help(ctx: Ctx) -> str:
    """What the bot does and the keywords, each written as that language's parents type it."""
    blocks = []
    for lang in ctx.locales:
        words = _keyword_words(lang)
        blocks.append(
            translator(lang)._(
                "I'm the {community} Early Learning Community helper. I send short tips for "
                "your child's age, tell you about local events and ask what you think about "
                "local services. Send {children} to see or change your children, {tips} to "
                "choose when tips come, {pause} to pause them, {events} to see events near "
                "you, {language} to change language, {stop} to stop messages, {start} to "
                "start again, {help} for this message.",
                community=ctx.community.name,
                **words,
            )
        )
    return "\n\n".join(blocks)
