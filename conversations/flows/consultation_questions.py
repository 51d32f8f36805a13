"""How a consultation's question is put to a parent: its text in their language, the choices
(buttons on Telegram, numbers on SMS) and how to answer."""

from __future__ import annotations

from conversations.consultations import answers as an
from conversations.consultations.model import Consultation, Question, Texts
from conversations.flows.base import N_, Ctx
from conversations.i18n import translator
from conversations.types import Channel, Choice, ConversationState, MessageKind, OutgoingMessage

OFFER_SKIP_AFTER = 2  # misses before skipping is offered, even for a required question
MAX_LISTED = 5  # "1, 2, 3, 4 or 5"; more than that is "a number from 1 to 8"

# How to answer, under the question, by (type, on SMS); number, scale and date are worked out.
HOW = {
    ("choice", True): N_("Reply with a number."),
    ("yesno", True): N_("Reply Yes or No."),
    ("multi", True): N_("Reply with all the numbers that apply, like 1,3."),
    ("multi", False): N_("Press each one that applies, then Done."),
}
# (has min, has max) -> (the hint under a number question, the re-prompt after a miss)
RANGES = {
    (True, True): (
        N_("Reply with a number from {min} to {max}."),
        N_("Please reply with a number from {min} to {max}."),
    ),
    (True, False): (
        N_("Reply with a number of {min} or more."),
        N_("Please reply with a number of {min} or more."),
    ),
    (False, True): (
        N_("Reply with a number up to {max}."),
        N_("Please reply with a number up to {max}."),
    ),
    (False, False): (N_("Reply with a number."), N_("Please reply with a number.")),
}


def in_language(ctx: Ctx, consultation: Consultation) -> Ctx:
    """The context in the one language this consultation's messages are written in: the
    parent's if the consultation has it, else English, else any it has."""
    spoken, first = consultation.title, ctx.locales[0]
    if first in spoken:
        return ctx.with_language(first)
    return ctx.with_language("en" if "en" in spoken else next(iter(spoken), first))


def pick(ctx: Ctx, texts: Texts) -> str:
    return texts.get(ctx.locales[0]) or texts.get("en") or next(iter(texts.values()), "")


def on_sms(ctx: Ctx) -> bool:
    return ctx.contact.channel is Channel.SMS


def skippable(question: Question, state: ConversationState) -> bool:
    return question.optional or int(state.data.get("miss", 0)) >= OFFER_SKIP_AFTER


def picked_so_far(state: ConversationState) -> list[str]:
    return [str(p) for p in state.data.get("picked", ())]


def number_range(ctx: Ctx, question: Question, asking: bool) -> str:
    low, high = (None if v is None else f"{v:g}" for v in (question.min, question.max))
    hint, again = RANGES[(low is not None, high is not None)]
    return ctx.text(hint if asking else again, min=low, max=high)


def _ends(ctx: Ctx, question: Question) -> tuple[str, str]:
    low, high = (pick(ctx, question.labels.get(end, {})) for end in ("low", "high"))
    return low, high


def _choices(ctx: Ctx, cid: str, question: Question, picked: list[str]) -> list[Choice]:
    """The answers as buttons (numbered lines on SMS), before any Skip or Done button."""
    qid, tr = question.id, translator(ctx.locales[0])
    if question.type in ("choice", "multi"):
        tick = "" if on_sms(ctx) else "✓ "  # on Telegram, what is chosen so far is ticked
        return [
            Choice(
                an.button_id(cid, qid, o.id), (tick if o.id in picked else "") + pick(ctx, o.text)
            )
            for o in question.options
        ]
    if question.type == "scale":
        low, high = _ends(ctx, question)
        labels = {"1": f"1 {low}".strip(), "5": f"5 {high}".strip()}
        return [Choice(an.button_id(cid, qid, n), labels.get(n, n)) for n in an.SCALE]
    if question.type == "yesno":
        return [
            Choice(an.button_id(cid, qid, an.YES), tr._("Yes")),
            Choice(an.button_id(cid, qid, an.NO), tr._("No")),
        ]
    return []


def _how(ctx: Ctx, question: Question, state: ConversationState) -> list[str]:
    """The sentences under a question that say how to answer it on this channel."""
    sms, kind, picked = on_sms(ctx), question.type, picked_so_far(state)
    hints = []
    if kind == "number":
        hints.append(number_range(ctx, question, asking=True))
    elif kind == "date":
        long = translator(ctx.locales[0]).date(ctx.today)
        example = N_("Reply with a date, for example {numeric} or {long}.")
        hints.append(ctx.text(example, numeric=f"{ctx.today:%d/%m/%Y}", long=long))
    elif kind == "scale" and sms:
        low, high = _ends(ctx, question)
        scale = N_("Reply with a number from 1 ({low}) to 5 ({high}).")
        hints.append(ctx.text(scale, low=low, high=high))
    elif kind == "multi" and picked and not sms:
        chosen = ", ".join(pick(ctx, o.text) for o in question.options if o.id in picked)
        so_far = N_("Chosen so far: {choices}. Choose more, or press Done.")
        hints.append(ctx.text(so_far, choices=chosen))
    elif (kind, sms) in HOW:
        hints.append(ctx.text(HOW[(kind, sms)]))
    if sms and question.optional:
        hints.append(ctx.text(N_("Reply SKIP to skip.")))
    elif skippable(question, state) and not question.optional:
        offer = N_("You can also skip this question: reply SKIP.")
        hints.append(ctx.text(offer if sms else N_("You can also skip this question.")))
    return hints


def question_message(
    ctx: Ctx,
    consultation: Consultation,
    question: Question,
    state: ConversationState,
    kind: MessageKind = MessageKind.REPLY,
) -> OutgoingMessage:
    ctx = in_language(ctx, consultation)
    cid, sms = consultation.id, on_sms(ctx)
    choices = _choices(ctx, cid, question, picked_so_far(state))
    parts = [pick(ctx, question.text)]
    if sms and question.type in ("choice", "multi"):
        parts.append("\n".join(f"{n} {c.label}" for n, c in enumerate(choices, start=1)))
    parts.append(" ".join(_how(ctx, question, state)))
    if not sms and question.type == "multi":
        choices.append(Choice(an.button_id(cid, question.id, an.DONE), ctx.label(N_("Done"))))
    if not sms and skippable(question, state):
        choices.append(Choice(an.button_id(cid, question.id, an.SKIP), ctx.label(N_("Skip"))))
    text = "\n\n".join(p for p in parts if p)
    # SMS lists are written into the text above, so rendering adds no second list.
    return OutgoingMessage(text, ctx.locales, tuple(choices), kind, list_on_sms=False)
