"""TIPS / AWGRYMIADAU: choose the day and time tips arrive."""

from __future__ import annotations

from functools import lru_cache

from conversations.effects import SetTipSchedule, StepResult
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx, FlowFunctions, at, done, go, retry
from conversations.i18n import day_name
from conversations.types import ConversationState, OutgoingMessage

FLOW = "schedule"
# Morning to early evening only: never inside the default quiet hours (20:00-08:00).
TIMES = ("09:00", "10:00", "12:00", "15:00", "18:00", "19:00")


def begin(ctx: Ctx) -> StepResult:
    return go(FLOW_OBJECT, ctx, at(FLOW, "day"))


def _day_choices(ctx: Ctx) -> tuple[ChoiceSpec, ...]:
    return _days(ctx.locales[0])


@lru_cache(maxsize=16)  # one set of day buttons per language
def _days(lang: str) -> tuple[ChoiceSpec, ...]:
    names = [day_name(n, lang) for n in range(7)]
    return tuple(ChoiceSpec(f"day:{n}", names[n], (names[n],)) for n in range(7))


TIME_CHOICES = tuple(
    ChoiceSpec(f"time:{t}", t, (t, t.lstrip("0"), t.replace(":00", ""))) for t in TIMES
)


def _time_choices() -> tuple[ChoiceSpec, ...]:
    return TIME_CHOICES


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    if state.step == "day":
        current = day_name(ctx.contact.tip_weekday, ctx.locales[0])
        text = ctx.text(
            N_("Your tips come on {day} at {time}. Which day would suit you best?"),
            day=current,
            time=ctx.contact.tip_time,
        )
        return ctx.message(text, _day_choices(ctx))
    return ctx.message(ctx.text(N_("And what time of day?")), _time_choices())


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    if state.step == "day":
        picked = ctx.pick(answer, _day_choices(ctx))
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        return go(FLOW_OBJECT, ctx, at(FLOW, "time", {"day": int(picked.split(":")[1])}))
    picked = ctx.pick(answer, _time_choices())
    if picked is None:
        return retry(FLOW_OBJECT, ctx, state)
    weekday, time = int(state.data["day"]), picked.split(":", 1)[1]
    day = day_name(weekday, ctx.locales[0])
    text = ctx.text(N_("Done. Your tips will come on {day} at {time}."), day=day, time=time)
    return done(SetTipSchedule(weekday, time), ctx.say(text))


FLOW_OBJECT = FlowFunctions(ask, handle)
