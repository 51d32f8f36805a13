"""Tip messages, reactions to them, and PAUSE / RESUME."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from conversations.content.library import Tip
from conversations.effects import PauseTips, RecordReaction, StepResult
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx
from conversations.i18n import translator
from conversations.types import IDLE, Child, Choice, MessageKind, OutgoingMessage

REACTIONS = (
    ("useful", N_("Useful")),
    ("tried", N_("Tried it")),
    ("not_for_me", N_("Not for me")),
)
REACTION_WINDOW = timedelta(days=7)
PREFIX = "r:"
_KNOWN = frozenset(key for key, _ in REACTIONS)
_SPECS = tuple(ChoiceSpec(key, label) for key, label in REACTIONS)


def reaction_choice_id(tip_id: str, reaction: str) -> str:
    return f"{PREFIX}{tip_id}:{reaction}"


def child_label(lang: str, child: Child) -> str:
    tr = translator(lang)
    if child.nickname:
        return child.nickname
    if child.due_date is not None:
        return tr._("Your baby on the way")
    return (
        tr._("Your child born {date}", date=tr.date(child.birth_date)) if child.birth_date else ""
    )


def tip_message(lang: str, items: Sequence[tuple[Child, Tip]]) -> OutgoingMessage:
    """One message with each child's tip; siblings are named so the parent knows which is whose."""
    tr = translator(lang)
    if len(items) == 1:
        text = items[0][1].text(lang)
    else:
        text = "\n\n".join(f"{child_label(lang, child)}: {tip.text(lang)}" for child, tip in items)
    last_tip = items[-1][1]
    choices = tuple(
        Choice(reaction_choice_id(last_tip.id, key), tr._(label)) for key, label in REACTIONS
    )
    return OutgoingMessage(
        text=text,
        locales=(lang,),
        choices=choices,
        kind=MessageKind.PROACTIVE,
        list_on_sms=False,
    )


def reaction_from_choice(choice_id: str) -> tuple[str, str] | None:
    """(tip id, reaction) from a reaction button's data, or None."""
    if not choice_id.startswith(PREFIX):
        return None
    tip_id, _, reaction = choice_id[len(PREFIX) :].rpartition(":")
    return (tip_id, reaction) if tip_id and reaction in _KNOWN else None


def reaction_from_text(ctx: Ctx, text: str) -> tuple[str, str] | None:
    """On SMS, a bare 1, 2 or 3 soon after a tip is a reaction to it."""
    contact = ctx.contact
    if contact.last_tip_id is None or contact.last_tip_at is None:
        return None
    if ctx.now - contact.last_tip_at > REACTION_WINDOW:
        return None
    picked = ctx.pick(Answer(text), _SPECS)
    return (contact.last_tip_id, picked) if picked else None


def react(ctx: Ctx, tip_id: str, reaction: str) -> StepResult:
    thanks = ctx.text(N_("Thank you for telling us. It helps us choose better tips."))
    return StepResult(ctx.contact.state, (RecordReaction(tip_id, reaction), ctx.say(thanks)))


def pause(ctx: Ctx) -> StepResult:
    until = ctx.now + timedelta(days=ctx.config.pause_days)
    text = ctx.text(
        N_(
            "I've paused your tips for four weeks. Send RESUME whenever you want them again. "
            "If things are hard right now, you don't have to manage alone: your health visitor, "
            "midwife or GP can help, and you can reply here to reach our team."
        )
    )
    return StepResult(ctx.contact.state, (PauseTips(until), ctx.say(text)))


def resume(ctx: Ctx) -> StepResult:
    until = ctx.contact.tips_paused_until
    if until is None or until <= ctx.now:
        text = ctx.text(N_("Your tips aren't paused, so there's nothing to restart."))
        return StepResult(ctx.contact.state, (ctx.say(text),))
    text = ctx.text(N_("Welcome back. Your tips will start again on your usual day."))
    return StepResult(
        IDLE if ctx.contact.state.flow is None else ctx.contact.state,
        (PauseTips(None), ctx.say(text)),
    )
