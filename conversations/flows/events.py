"""Events: announcements with RSVPs, reminders, changes, the waiting list and EVENTS."""

from __future__ import annotations

from dataclasses import replace

from conversations.effects import Effect, RecordRsvp, Reply, SendCalendar, StepResult, Unexpected
from conversations.events.model import (
    RSVP_ANSWERS,
    Event,
    Rsvp,
    parse_rsvp,
)
from conversations.flows import event_messages as say
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx, FlowFunctions, at, retry
from conversations.keywords import Keyword, word_for
from conversations.parsing.options import yes_no
from conversations.types import (
    IDLE,
    Channel,
    Choice,
    ConversationState,
    EventView,
    OutgoingMessage,
)

FLOW = "event"
MAX_LISTED = 5
LIST_PREFIX = "ev:"
MISSES_BEFORE_LEAVING = 2

# Words that answer an RSVP besides the labels in every language, the numbers and yes/no words.
_SYNONYMS: dict[Rsvp, tuple[str, ...]] = {
    "yes": (
        *("coming", "i'm coming", "im coming", "i'll come", "ill come", "we'll come", "definitely"),
        *("we're coming", "count me in", "book me in", "i'll be there", "see you there"),
        *("dw i'n dod", "dwi'n dod", "rydw i'n dod", "ydw", "dod", "byddaf", "byddwn"),
        *("rydyn ni'n dod", "dyn ni'n dod", "wela i chi yno"),
    ),
    "maybe": (
        *("perhaps", "possibly", "not sure", "might", "i might", "might come", "probably"),
        *("dunno", "don't know", "dont know", "not sure yet", "maybe yes"),
        *("falle", "fallai", "efallai", "dim yn siwr", "ddim yn siwr", "dw i ddim yn siwr"),
        *("dwi ddim yn siwr", "o bosib", "hwyrach"),
    ),
    "no": (
        *("can't come", "cant come", "cannot come", "can't make it", "cant make it"),
        *("not coming", "i'm not coming", "im not coming", "no thanks", "sorry no"),
        *("methu dod", "dw i ddim yn dod", "dwi ddim yn dod", "ddim yn dod", "na allaf"),
        *("na alla i", "dim diolch"),
    ),
}

# What the parent is told after each RSVP, by what is recorded.
_REPLIES = {
    "yes": N_("You're booked for {title}, {when} at {venue}. We'll remind you the day before."),
    "waitlist": N_(
        "Sorry, {title} is full. You're on the waiting list, and we'll tell you "
        "if a place comes up."
    ),
    "maybe": N_("Thanks, we've noted you might come to {title}. Send {events} to change this."),
    "no": N_("Thanks for letting us know you can't come to {title}. We hope to see you soon."),
}


def state_for(event: Event) -> ConversationState:
    return at(FLOW, "rsvp", {"e": event.id})


def rsvp_from_choice(choice_id: str) -> tuple[str, str] | None:
    """(event id, yes|maybe|no) from an RSVP button's data, or None."""
    return parse_rsvp(choice_id)


def pressed(ctx: Ctx, choice_id: str) -> StepResult | None:
    """An RSVP button, or a button of an EVENTS list, pressed whatever the parent was doing;
    None when `choice_id` is neither."""
    found = rsvp_from_choice(choice_id)
    if found is not None:
        view = _view(ctx, found[0])
        return gone(ctx) if view is None else rsvp(ctx, view, found[1])
    if choice_id.startswith(LIST_PREFIX):
        view = _view(ctx, choice_id[len(LIST_PREFIX) :])
        return gone(ctx) if view is None else _event_reply(ctx, view)
    return None


def _after(ctx: Ctx) -> ConversationState:
    """Where the parent is after an RSVP: back where they were, unless that was this flow."""
    state = ctx.contact.state
    return IDLE if state.flow in (None, FLOW) else state


def _view(ctx: Ctx, event_id: object) -> EventView | None:
    """The event with that id if it is still to come (storage drops cancelled ones)."""
    views = ctx.contact.events
    return next((v for v in views if v.event.id == event_id and v.event.ends_at > ctx.now), None)


def _gone(ctx: Ctx) -> str:
    return ctx.text(N_("Sorry, that event has passed or been cancelled."))


def gone(ctx: Ctx) -> StepResult:
    """A reply about an event no longer upcoming; the parent stays where they were."""
    return StepResult(_after(ctx), (ctx.say(_gone(ctx)),))


def rsvp(ctx: Ctx, view: EventView, answer: str) -> StepResult:
    """Record the parent's yes, maybe or no, and tell them what it means: a yes to a full
    event joins the waiting list; a booked yes on Telegram also gets the .ics file."""
    if answer not in RSVP_ANSWERS:
        raise ValueError(f"not an RSVP answer: {answer!r}")
    event, here = view.event, say.in_language(ctx, view.event)
    full = answer == "yes" and view.places_left == 0 and view.my_answer != "yes"
    record = "waitlist" if full else answer
    events = word_for(Keyword.EVENTS, say.language_of(here))
    text = here.text(_REPLIES[record], events=events, **say.facts(here, event))
    calendar = record == "yes" and ctx.contact.channel is Channel.TELEGRAM
    if calendar:
        text += "\n\n" + here.text(N_("Tap the file below to add it to your calendar."))
    effects: list[Effect] = [RecordRsvp(event.id, record), here.say(text)]
    return StepResult(_after(ctx), (*effects, *([SendCalendar(event.id)] if calendar else [])))


def _upcoming(ctx: Ctx) -> list[EventView]:
    views = [v for v in ctx.contact.events if v.event.ends_at > ctx.now]
    return sorted(views, key=lambda v: (v.event.starts_at, v.event.id))[:MAX_LISTED]


def _none_upcoming(ctx: Ctx) -> str:
    return ctx.text(
        N_(
            "There are no upcoming events in {community} right now. "
            "We'll let you know when there are."
        ),
        community=ctx.community.name,
    )


def _listed(ctx: Ctx, state: ConversationState) -> list[EventView]:
    """The events the list in `state` offered that are still upcoming, in its order."""
    views = (_view(ctx, event_id) for event_id in state.data.get("ids", ()))
    return [v for v in views if v is not None]


def _list_specs(ctx: Ctx, views: list[EventView]) -> list[ChoiceSpec]:
    labels = ((v.event, say.in_language(ctx, v.event)) for v in views)
    return [
        ChoiceSpec(LIST_PREFIX + e.id, f"{say.facts(c, e)['title']}, {say.short_when(c, e)}")
        for e, c in labels
    ]


def _list_message(ctx: Ctx, views: list[EventView]) -> OutgoingMessage:
    if not views:
        return ctx.message(_none_upcoming(ctx))
    lead = ctx.text(N_("Upcoming events in {community}:"), community=ctx.community.name)
    choices = tuple(Choice(spec.id, spec.label) for spec in _list_specs(ctx, views))
    return OutgoingMessage(lead, ctx.locales, choices)


def list_events(ctx: Ctx) -> StepResult:
    """The EVENTS keyword: the next few events in the parent's community, to pick and answer."""
    views = _upcoming(ctx)
    if not views:
        return StepResult(IDLE, (ctx.say(_none_upcoming(ctx)),))
    state = at(FLOW, "pick", {"ids": [v.event.id for v in views]})
    return StepResult(state, (Reply(_list_message(ctx, views)),))


def _standing(ctx: Ctx, view: EventView) -> str:
    """How the parent stands with the event, or that it is full, as one sentence."""
    if view.my_answer == "yes":
        return ctx.text(N_("You're booked for this one."))
    if view.my_answer == "waitlist":
        return ctx.text(N_("You're on the waiting list for this one."))
    if view.places_left == 0:
        return ctx.text(N_("It's full, but you can join the waiting list."))
    return ""


def _event_reply(ctx: Ctx, view: EventView) -> StepResult:
    event = view.event
    here = say.in_language(ctx, event)
    parts = [*say.details(here, event), _standing(here, view), here.text(N_("Can you come?"))]
    message = say.message(here, parts, say.choices(here, event), proactive=False)
    state = ctx.contact.state
    after = state_for(event) if state.flow in (None, FLOW) else state
    return StepResult(after, (Reply(message),))


def _question(ctx: Ctx, view: EventView) -> OutgoingMessage:
    event = view.event
    here = say.in_language(ctx, event)
    text = here.text(N_("Can you come to {title} on {when}?"), **say.facts(here, event))
    return say.message(here, [text], say.choices(here, event), proactive=False)


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    if state.step == "pick":
        return _list_message(ctx, _listed(ctx, state))
    view = _view(ctx, state.data.get("e"))
    return ctx.message(_gone(ctx)) if view is None else _question(ctx, view)


def _read(ctx: Ctx, event: Event, answer: Answer) -> str | None:
    """yes, maybe or no from a number, a label in any language, or words that mean it."""
    if answer.choice_id is not None:
        found = rsvp_from_choice(answer.choice_id)
        return found[1] if found and found[0] == event.id else None
    specs = [ChoiceSpec(a, say.LABELS[a], _SYNONYMS[a]) for a in RSVP_ANSWERS]
    picked = ctx.pick(answer, specs)
    if picked is None:
        verdict = yes_no(answer.text)
        picked = None if verdict is None else ("yes" if verdict else "no")
    return picked


def _unclear(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    misses = int(state.data.get("miss", 0)) + 1
    if misses < MISSES_BEFORE_LEAVING:
        return retry(FLOW_OBJECT, ctx, replace(state, data={**state.data, "miss": misses}))
    bye = ctx.text(
        N_("No problem. Send {events} any time to reply."),
        events=word_for(Keyword.EVENTS, say.language_of(ctx)),
    )
    kept = (Unexpected(answer.text),) if answer.text.strip() else ()
    return StepResult(IDLE, (*kept, ctx.say(bye)))


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    if state.step == "pick":
        views = _listed(ctx, state)
        picked = ctx.pick(answer, _list_specs(ctx, views)) if views else None
        if picked is None:
            return _unclear(ctx, state, answer) if views else gone(ctx)
        return pressed(ctx, picked) or gone(ctx)
    view = _view(ctx, state.data.get("e"))
    if view is None:
        return gone(ctx)
    found = _read(ctx, view.event, answer)
    if found is None:
        return _unclear(ctx, state, answer)
    return rsvp(ctx, view, found)


FLOW_OBJECT = FlowFunctions(ask, handle)
