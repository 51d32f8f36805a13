"""Answering a consultation: one question at a time, by Telegram buttons or SMS text."""

from __future__ import annotations

from functools import lru_cache

from babel.lists import format_list

from conversations.consultations import answers as an
from conversations.consultations.model import Consultation, Question, Texts
from conversations.effects import RecordAnswer, Reply, StepResult
from conversations.flows.base import N_, Answer, Ctx, FlowFunctions, at, done, with_lead
from conversations.i18n import DATE_LOCALES, translator
from conversations.types import Channel, Choice, ConversationState, MessageKind, OutgoingMessage

FLOW = "consultation"
OFFER_SKIP_AFTER = 2  # misses before skipping is offered, even for a required question
MAX_LISTED = 5  # "1, 2, 3, 4 or 5"; more than that is "a number from 1 to 8"
Found = tuple[Consultation, Question]

# How to answer, under the question, by (type, on SMS); number, scale and date are worked out.
_HOW = {
    ("choice", True): N_("Reply with a number."),
    ("yesno", True): N_("Reply Yes or No."),
    ("multi", True): N_("Reply with all the numbers that apply, like 1,3."),
    ("multi", False): N_("Press each one that applies, then Done."),
}
# What would work, after a reply that did not, by (type, on SMS).
_AGAIN = {
    ("text", True): N_("Please type your answer."),
    ("text", False): N_("Please type your answer."),
    ("yesno", True): N_("Please reply Yes or No."),
    ("multi", True): N_("Please reply with the numbers of all that apply, like 1,3."),
    ("multi", False): N_("Please press the buttons for all that apply, then Done."),
    ("choice", False): N_("Please press one of the buttons."),
    ("scale", False): N_("Please press one of the buttons."),
    ("yesno", False): N_("Please press one of the buttons."),
}
_LEADS = {
    an.Miss.TOO_LOW: N_("Sorry, that number is too low."),
    an.Miss.TOO_HIGH: N_("Sorry, that number is too high."),
}
# (has min, has max) -> (the hint under a number question, the re-prompt after a miss)
_RANGES = {
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


def state_for(consultation: Consultation, question_id: str) -> ConversationState:
    return at(FLOW, question_id, {"c": consultation.id})


def _in(ctx: Ctx, consultation: Consultation) -> Ctx:
    """The context in the one language this consultation's messages are written in: the
    parent's if the consultation has it, else English, else any it has."""
    spoken, first = consultation.title, ctx.locales[0]
    if first in spoken:
        return ctx.with_language(first)
    return ctx.with_language("en" if "en" in spoken else next(iter(spoken), first))


def _pick(ctx: Ctx, texts: Texts) -> str:
    return texts.get(ctx.locales[0]) or texts.get("en") or next(iter(texts.values()), "")


def _sms(ctx: Ctx) -> bool:
    return ctx.contact.channel is Channel.SMS


def _skippable(question: Question, state: ConversationState) -> bool:
    return question.optional or int(state.data.get("miss", 0)) >= OFFER_SKIP_AFTER


def _picked(state: ConversationState) -> list[str]:
    return [str(p) for p in state.data.get("picked", ())]


def intro(ctx: Ctx, consultation: Consultation) -> OutgoingMessage:
    ctx = _in(ctx, consultation)
    fewest, most = an.path_lengths(consultation)
    if most == 1:
        count = ctx.text(N_("There is just one question."))
    elif fewest == most:
        count = ctx.text(N_("There are {count} questions."), count=most)
    else:
        count = ctx.text(N_("There are up to {count} questions."), count=most)
    if most > 1 and any(q.optional for q in consultation.questions):
        how = (
            N_("You can skip the optional ones by replying SKIP.")
            if _sms(ctx)
            else N_("You can skip the optional ones with the Skip button.")
        )
        count = f"{count} {ctx.text(how)}"
    text = "\n\n".join((_pick(ctx, consultation.title), _pick(ctx, consultation.intro), count))
    return OutgoingMessage(text, ctx.locales, kind=MessageKind.PROACTIVE)


def _number_range(ctx: Ctx, question: Question, asking: bool) -> str:
    low, high = (None if v is None else f"{v:g}" for v in (question.min, question.max))
    hint, again = _RANGES[(low is not None, high is not None)]
    return ctx.text(hint if asking else again, min=low, max=high)


def _ends(ctx: Ctx, question: Question) -> tuple[str, str]:
    low, high = (_pick(ctx, question.labels.get(end, {})) for end in ("low", "high"))
    return low, high


def _choices(ctx: Ctx, cid: str, question: Question, picked: list[str]) -> list[Choice]:
    """The answers as buttons (numbered lines on SMS), before any Skip or Done button."""
    qid, tr = question.id, translator(ctx.locales[0])
    if question.type in ("choice", "multi"):
        tick = "" if _sms(ctx) else "✓ "  # on Telegram, what is chosen so far is ticked
        return [
            Choice(
                an.button_id(cid, qid, o.id), (tick if o.id in picked else "") + _pick(ctx, o.text)
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
    sms, kind, picked = _sms(ctx), question.type, _picked(state)
    hints = []
    if kind == "number":
        hints.append(_number_range(ctx, question, asking=True))
    elif kind == "date":
        long = translator(ctx.locales[0]).date(ctx.today)
        example = N_("Reply with a date, for example {numeric} or {long}.")
        hints.append(ctx.text(example, numeric=f"{ctx.today:%d/%m/%Y}", long=long))
    elif kind == "scale" and sms:
        low, high = _ends(ctx, question)
        scale = N_("Reply with a number from 1 ({low}) to 5 ({high}).")
        hints.append(ctx.text(scale, low=low, high=high))
    elif kind == "multi" and picked and not sms:
        chosen = ", ".join(_pick(ctx, o.text) for o in question.options if o.id in picked)
        so_far = N_("Chosen so far: {choices}. Choose more, or press Done.")
        hints.append(ctx.text(so_far, choices=chosen))
    elif (kind, sms) in _HOW:
        hints.append(ctx.text(_HOW[(kind, sms)]))
    if sms and question.optional:
        hints.append(ctx.text(N_("Reply SKIP to skip.")))
    elif _skippable(question, state) and not question.optional:
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
    ctx = _in(ctx, consultation)
    cid, sms = consultation.id, _sms(ctx)
    choices = _choices(ctx, cid, question, _picked(state))
    parts = [_pick(ctx, question.text)]
    if sms and question.type in ("choice", "multi"):
        parts.append("\n".join(f"{n} {c.label}" for n, c in enumerate(choices, start=1)))
    parts.append(" ".join(_how(ctx, question, state)))
    if not sms and question.type == "multi":
        choices.append(Choice(an.button_id(cid, question.id, an.DONE), ctx.label(N_("Done"))))
    if not sms and _skippable(question, state):
        choices.append(Choice(an.button_id(cid, question.id, an.SKIP), ctx.label(N_("Skip"))))
    text = "\n\n".join(p for p in parts if p)
    # SMS lists are written into the text above, so rendering adds no second list.
    return OutgoingMessage(text, ctx.locales, tuple(choices), kind, list_on_sms=False)


def begin(ctx: Ctx, consultation: Consultation) -> StepResult:
    state = state_for(consultation, consultation.first().id)
    first = question_message(ctx, consultation, consultation.first(), state, MessageKind.PROACTIVE)
    return StepResult(state, (Reply(intro(ctx, consultation)), Reply(first)))


def _with_lead(message: OutgoingMessage, lead: str) -> OutgoingMessage:
    return with_lead(message, lead)


def resume(ctx: Ctx, consultation: Consultation, question_id: str) -> StepResult:
    state = state_for(consultation, question_id)
    asked = question_message(ctx, consultation, consultation.question(question_id), state)
    here = _in(ctx, consultation)
    lead = here.text(N_("Let's carry on with: {title}"), title=_pick(here, consultation.title))
    return StepResult(state, (Reply(_with_lead(asked, lead)),))


def reminder(ctx: Ctx, consultation: Consultation, question_id: str) -> OutgoingMessage:
    state = state_for(consultation, question_id)
    question = consultation.question(question_id)
    asked = question_message(ctx, consultation, question, state, MessageKind.PROACTIVE)
    here = _in(ctx, consultation)
    nudge = here.text(N_("If you have a minute, we'd still love to hear what you think."))
    return _with_lead(asked, f"{_pick(here, consultation.title)}\n\n{nudge}")


def _closed(ctx: Ctx, consultation: Consultation) -> bool:
    closes = consultation.closes_at
    return ctx.contact.consultation_closed or (closes is not None and ctx.now >= closes)


def _current(ctx: Ctx, state: ConversationState) -> Found | None:
    """The consultation and question this state is at, unless deleted or changed since."""
    consultation = ctx.contact.consultation
    if consultation is None or consultation.id != state.data.get("c"):
        return None
    try:
        return consultation, consultation.question(str(state.step))
    except KeyError:
        return None


def _gone(ctx: Ctx) -> str:
    return ctx.text(N_("Sorry, that consultation is no longer running."))


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    found = _current(ctx, state)
    if found is None:
        return ctx.message(_gone(ctx))
    consultation, question = found
    if _closed(ctx, consultation):
        return ctx.message(_in(ctx, consultation).text(N_("This consultation has now closed.")))
    return question_message(ctx, consultation, question, state)


def _problem(ctx: Ctx, question: Question, miss: an.Miss) -> str:
    """Kindly, why the reply could not be used and what would work."""
    sms, kind = _sms(ctx), question.type
    if kind == "date":  # the question itself carries an example date
        return ctx.text(N_("Sorry, I couldn't read that date."))
    lead = ctx.text(_LEADS.get(miss, N_("Sorry, I didn't catch that.")))
    if miss is an.Miss.NONE_CHOSEN:
        how = ctx.text(N_("Please choose at least one, then press Done."))
    elif kind == "number":
        how = _number_range(ctx, question, asking=False)
    elif (kind, sms) in _AGAIN:
        how = ctx.text(_AGAIN[(kind, sms)])
    elif (count := 5 if kind == "scale" else len(question.options)) <= MAX_LISTED:
        numbers = [str(n) for n in range(1, count + 1)]
        lang = ctx.locales[0]
        listed = format_list(numbers, style="or", locale=DATE_LOCALES.get(lang, lang))
        how = ctx.text(N_("Please reply with {choices}."), choices=listed)
    else:
        how = ctx.text(N_("Please reply with a number from 1 to {count}."), count=count)
    return f"{lead} {how}"


def _again(ctx: Ctx, found: Found, state: ConversationState, lead: str) -> StepResult:
    return StepResult(state, (Reply(_with_lead(question_message(ctx, *found, state), lead)),))


def _record(ctx: Ctx, found: Found, parsed: an.Parsed) -> StepResult:
    consultation, question = found
    nxt = consultation.next_after(question, parsed.option_ids)
    record = RecordAnswer(consultation.id, question.id, parsed.value, nxt.id if nxt else None)
    if nxt is not None:
        state = state_for(consultation, nxt.id)
        return StepResult(state, (record, Reply(question_message(ctx, consultation, nxt, state))))
    here = _in(ctx, consultation)
    thanks = N_(
        "Thank you, that's everything. Your answers help make {community}'s services "
        "better for families."
    )
    return done(record, here.say(here.text(thanks, community=here.community.name)))


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    found = _current(ctx, state)
    if found is None:
        return done(ctx.say(_gone(ctx)))
    consultation, question = found
    here = _in(ctx, consultation)
    if _closed(ctx, consultation):
        closed = N_(
            "Thank you, but this consultation has now closed, so we couldn't record your answer."
        )
        return done(here.say(here.text(closed)))
    outcome: an.Parsed | an.Miss | list[str] | None
    if answer.choice_id is not None:
        button, outcome = an.read_button(answer.choice_id), None
        if button is not None and button[:2] == (consultation.id, question.id):
            skippable = _skippable(question, state)
            outcome = an.read_press(question, button[2], _picked(state), skippable)
        if outcome is None:  # a keyboard from an older message: ask again, no harm done
            return _again(ctx, found, state, here.text(N_("That button is from an older message.")))
        if isinstance(outcome, list):  # a multi choice ticked or unticked on Telegram
            toggled = ConversationState(state.flow, state.step, {**state.data, "picked": outcome})
            return StepResult(toggled, (Reply(question_message(ctx, *found, toggled)),))
    elif an.is_skip(answer.text):
        outcome = an.SKIPPED if _skippable(question, state) else an.Miss.UNCLEAR
    else:
        labels = None  # only a yes/no question reads the buttons' words
        if question.type == "yesno":
            labels = {an.YES: _everywhere(ctx, "Yes"), an.NO: _everywhere(ctx, "No")}
        outcome = an.read_text(question, answer.text, ctx.today, labels)
    if isinstance(outcome, an.Parsed):
        return _record(ctx, found, outcome)
    misses = int(state.data.get("miss", 0)) + 1
    missed = ConversationState(state.flow, state.step, {**state.data, "miss": misses})
    return _again(ctx, found, missed, _problem(here, question, outcome))


def _everywhere(ctx: Ctx, message: str) -> tuple[str, ...]:
    """A label in every language the bot speaks, so either language's word answers."""
    return _in_languages(message, ctx.config.languages)


@lru_cache(maxsize=64)  # two messages (Yes, No) times the deployment's language sets
def _in_languages(message: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(translator(lang)._(message) for lang in languages)


FLOW_OBJECT = FlowFunctions(ask, handle)
