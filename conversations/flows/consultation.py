"""Answering a consultation: one question at a time, by Telegram buttons or SMS text."""

from __future__ import annotations

from functools import lru_cache

from babel.lists import format_list

from conversations.consultations import answers as an
from conversations.consultations.model import Consultation, Question
from conversations.effects import RecordAnswer, Reply, StepResult
from conversations.flows import consultation_questions as put
from conversations.flows.base import N_, Answer, Ctx, FlowFunctions, at, done, with_lead
from conversations.i18n import DATE_LOCALES, translator
from conversations.types import ConversationState, MessageKind, OutgoingMessage

FLOW = "consultation"
Found = tuple[Consultation, Question]

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


def state_for(consultation: Consultation, question_id: str) -> ConversationState:
    return at(FLOW, question_id, {"c": consultation.id})


def intro(ctx: Ctx, consultation: Consultation) -> OutgoingMessage:
    ctx = put.in_language(ctx, consultation)
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
            if put.on_sms(ctx)
            else N_("You can skip the optional ones with the Skip button.")
        )
        count = f"{count} {ctx.text(how)}"
    text = "\n\n".join(
        (put.pick(ctx, consultation.title), put.pick(ctx, consultation.intro), count)
    )
    return OutgoingMessage(text, ctx.locales, kind=MessageKind.PROACTIVE)


def begin(ctx: Ctx, consultation: Consultation) -> StepResult:
    state = state_for(consultation, consultation.first().id)
    first = put.question_message(
        ctx, consultation, consultation.first(), state, MessageKind.PROACTIVE
    )
    return StepResult(state, (Reply(intro(ctx, consultation)), Reply(first)))


def _with_lead(message: OutgoingMessage, lead: str) -> OutgoingMessage:
    return with_lead(message, lead)


def resume(ctx: Ctx, consultation: Consultation, question_id: str) -> StepResult:
    state = state_for(consultation, question_id)
    asked = put.question_message(ctx, consultation, consultation.question(question_id), state)
    here = put.in_language(ctx, consultation)
    lead = here.text(N_("Let's carry on with: {title}"), title=put.pick(here, consultation.title))
    return StepResult(state, (Reply(_with_lead(asked, lead)),))


def reminder(ctx: Ctx, consultation: Consultation, question_id: str) -> OutgoingMessage:
    state = state_for(consultation, question_id)
    question = consultation.question(question_id)
    asked = put.question_message(ctx, consultation, question, state, MessageKind.PROACTIVE)
    here = put.in_language(ctx, consultation)
    nudge = here.text(N_("If you have a minute, we'd still love to hear what you think."))
    return _with_lead(asked, f"{put.pick(here, consultation.title)}\n\n{nudge}")


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
        return ctx.message(
            put.in_language(ctx, consultation).text(N_("This consultation has now closed."))
        )
    return put.question_message(ctx, consultation, question, state)


def _problem(ctx: Ctx, question: Question, miss: an.Miss) -> str:
    """Kindly, why the reply could not be used and what would work."""
    sms, kind = put.on_sms(ctx), question.type
    if kind == "date":  # the question itself carries an example date
        return ctx.text(N_("Sorry, I couldn't read that date."))
    lead = ctx.text(_LEADS.get(miss, N_("Sorry, I didn't catch that.")))
    if miss is an.Miss.NONE_CHOSEN:
        how = ctx.text(N_("Please choose at least one, then press Done."))
    elif kind == "number":
        how = put.number_range(ctx, question, asking=False)
    elif (kind, sms) in _AGAIN:
        how = ctx.text(_AGAIN[(kind, sms)])
    elif (count := 5 if kind == "scale" else len(question.options)) <= put.MAX_LISTED:
        numbers = [str(n) for n in range(1, count + 1)]
        lang = ctx.locales[0]
        listed = format_list(numbers, style="or", locale=DATE_LOCALES.get(lang, lang))
        how = ctx.text(N_("Please reply with {choices}."), choices=listed)
    else:
        how = ctx.text(N_("Please reply with a number from 1 to {count}."), count=count)
    return f"{lead} {how}"


def _again(ctx: Ctx, found: Found, state: ConversationState, lead: str) -> StepResult:
    return StepResult(state, (Reply(_with_lead(put.question_message(ctx, *found, state), lead)),))


def _record(ctx: Ctx, found: Found, parsed: an.Parsed) -> StepResult:
    consultation, question = found
    nxt = consultation.next_after(question, parsed.option_ids)
    record = RecordAnswer(consultation.id, question.id, parsed.value, nxt.id if nxt else None)
    if nxt is not None:
        state = state_for(consultation, nxt.id)
        return StepResult(
            state, (record, Reply(put.question_message(ctx, consultation, nxt, state)))
        )
    here = put.in_language(ctx, consultation)
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
    here = put.in_language(ctx, consultation)
    if _closed(ctx, consultation):
        closed = N_(
            "Thank you, but this consultation has now closed, so we couldn't record your answer."
        )
        return done(here.say(here.text(closed)))
    outcome: an.Parsed | an.Miss | list[str] | None
    if answer.choice_id is not None:
        button, outcome = an.read_button(answer.choice_id), None
        if button is not None and button[:2] == (consultation.id, question.id):
            skippable = put.skippable(question, state)
            outcome = an.read_press(question, button[2], put.picked_so_far(state), skippable)
        if outcome is None:  # a keyboard from an older message: ask again, no harm done
            return _again(ctx, found, state, here.text(N_("That button is from an older message.")))
        if isinstance(outcome, list):  # a multi choice ticked or unticked on Telegram
            toggled = ConversationState(state.flow, state.step, {**state.data, "picked": outcome})
            return StepResult(toggled, (Reply(put.question_message(ctx, *found, toggled)),))
    elif an.is_skip(answer.text):
        outcome = an.SKIPPED if put.skippable(question, state) else an.Miss.UNCLEAR
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
