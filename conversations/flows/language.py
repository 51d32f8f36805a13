"""LANGUAGE / IAITH: switch language, then carry on where the parent was."""

from __future__ import annotations

from conversations.effects import Reply, SetLanguage, StepResult
from conversations.flows.base import N_, Answer, Ctx, FlowFunctions, at, retry
from conversations.flows.onboarding import language_choices
from conversations.types import ConversationState, OutgoingMessage

FLOW = "language"


def begin(ctx: Ctx, resume: ConversationState) -> StepResult:
    data = {"resume": {"flow": resume.flow, "step": resume.step, "data": dict(resume.data)}}
    state = at(FLOW, "choose", data)
    return StepResult(state, (Reply(ask(ctx, state)),))


def _offered(ctx: Ctx) -> tuple[str, ...]:
    """The community's languages first, then any other language the bot speaks."""
    community = ctx.community.languages
    return community + tuple(lang for lang in ctx.config.languages if lang not in community)


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    return ctx.message(
        ctx.text(N_("Which language would you like?")), language_choices(_offered(ctx))
    )


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    picked = ctx.pick(answer, language_choices(_offered(ctx)))
    if picked is None:
        return retry(FLOW_OBJECT, ctx, state)
    language = picked.split(":", 1)[1]
    ctx = ctx.with_language(language)
    saved = state.data.get("resume") or {}
    resume = ConversationState(saved.get("flow"), saved.get("step"), saved.get("data") or {})
    effects: list[SetLanguage | Reply] = [
        SetLanguage(language),
        ctx.say(ctx.text(N_("OK, I'll write to you in this language from now on."))),
    ]
    if resume.flow is not None:
        from conversations.engine import flow_named

        effects.append(Reply(flow_named(resume.flow).ask(ctx, resume)))
    return StepResult(resume, tuple(effects))


FLOW_OBJECT = FlowFunctions(ask, handle)
