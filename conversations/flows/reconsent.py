"""Asking again when the privacy notice changes: agree to carry on, or stop messages."""

from __future__ import annotations

from typing import Any

from conversations.effects import RecordConsent, SetStatus, StepResult
from conversations.flows.base import N_, Answer, Ctx, FlowFunctions, at, done, go, retry
from conversations.flows.onboarding import AGREE, DECLINE
from conversations.types import (
    ContactStatus,
    ConversationState,
    MessageKind,
    OutgoingMessage,
)

FLOW = "reconsent"
ASK = "ask"  # asked in reply to the parent's message
ASKED = "asked"  # asked by the clock (proactively)


def stale(ctx: Ctx) -> bool:
    """An active parent whose recorded consent is not to the current notice."""
    return (
        ctx.contact.status is ContactStatus.ACTIVE
        and ctx.contact.consent_version != ctx.config.privacy_notice_version
    )


def begin(ctx: Ctx, interrupted: ConversationState) -> StepResult:
    """Ask, remembering any conversation the question interrupts (it resumes on agreement)."""
    data: dict[str, Any] = {}
    if interrupted.flow is not None and interrupted.flow != FLOW:
        data["then"] = {
            "flow": interrupted.flow,
            "step": interrupted.step,
            "data": dict(interrupted.data),
        }
    elif interrupted.flow == FLOW:
        data = dict(interrupted.data)
    return go(FLOW_OBJECT, ctx, at(FLOW, ASK, data))


def interrupted(state: ConversationState) -> ConversationState | None:
    """The conversation the question interrupted, if any."""
    then = state.data.get("then") if state.flow == FLOW else None
    if not isinstance(then, dict) or not then.get("flow"):
        return None
    return ConversationState(then["flow"], then.get("step"), dict(then.get("data") or {}))


def question(ctx: Ctx, kind: MessageKind = MessageKind.REPLY) -> OutgoingMessage:
    text = ctx.text(
        N_(
            "We have updated our privacy notice: {url} We still keep only what we need to "
            "send you tips, ask what you think and tell you about events. "
            "Are you happy for us to carry on?"
        ),
        url=ctx.config.privacy_notice_url,
    )
    return ctx.message(text, (AGREE, DECLINE), kind=kind)


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    return question(ctx)


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    picked = ctx.pick_yes_no(answer, AGREE, DECLINE)
    if picked is None:
        return retry(FLOW_OBJECT, ctx, at(FLOW, ASK, state.data))
    version = ctx.config.privacy_notice_version
    if picked == DECLINE.id:
        goodbye = ctx.text(
            N_(
                "That's fine. We won't send you any more messages. "
                "If you change your mind, send START."
            )
        )
        return done(
            RecordConsent(version, agreed=False),
            SetStatus(ContactStatus.OPTED_OUT),
            ctx.say(goodbye),
        )
    thanks = ctx.text(N_("Thank you. You'll keep getting messages from us as before."))
    return done(RecordConsent(version, agreed=True), ctx.say(thanks))


FLOW_OBJECT = FlowFunctions(ask, handle)
