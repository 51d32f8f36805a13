"""After a due date has passed: ask, gently, whether the baby has arrived, and when."""

from __future__ import annotations

from datetime import timedelta

from conversations.effects import PauseTips, StepResult, UpdateChild
from conversations.flows import child_details as cd
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx, FlowFunctions, at, done, go, retry
from conversations.i18n import translator
from conversations.types import Child, ConversationState, MessageKind, OutgoingMessage

FLOW = "birth"
ARRIVED = ChoiceSpec("birth:yes", N_("Yes, baby is here"), ("yes", "ie", "do", "y"))
NOT_YET = ChoiceSpec("birth:no", N_("Not yet"), ("no", "na", "naddo", "dim eto"))
STOP_TIPS = ChoiceSpec("birth:stop", N_("Please stop these tips"), ("stop tips",))
# The question may arrive after a loss: never assume a happy outcome, always offer a way out.
CHOICES = (ARRIVED, NOT_YET, STOP_TIPS)


def question(ctx: Ctx, child: Child) -> OutgoingMessage:
    """The proactive question the clock sends a week after the due date."""
    state = at(FLOW, "arrived", {"child_id": child.id})
    message = ask(ctx, state)
    return OutgoingMessage(
        message.text, message.locales, message.choices, kind=MessageKind.PROACTIVE
    )


def state_for(child: Child) -> ConversationState:
    return at(FLOW, "arrived", {"child_id": child.id})


def _child(ctx: Ctx, state: ConversationState) -> Child | None:
    wanted = state.data.get("child_id")
    return next((c for c in ctx.contact.children if c.id == wanted), None)


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    if state.step == "arrived":
        child = _child(ctx, state)
        due = child.due_date if child is not None else None
        when = translator(ctx.locales[0]).date(due) if due else ""
        text = ctx.text(
            N_(
                "We're thinking of you. Your due date ({date}) has passed: has your baby "
                "arrived? If you'd rather not get these messages for now, just say so."
            ),
            date=when,
        )
        return ctx.message(text, CHOICES)
    return ctx.message(cd.date_question(ctx, "born"))


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    child = _child(ctx, state)
    if child is None or child.id is None:
        return done()
    if state.step == "arrived":
        picked = ctx.pick(answer, CHOICES)
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        if picked == NOT_YET.id:
            return done(ctx.say(ctx.text(N_("Thank you for letting us know. Take care."))))
        if picked == STOP_TIPS.id:
            text = ctx.text(
                N_(
                    "Of course. We've stopped these tips. If you'd like to talk to someone, "
                    "your midwife, health visitor or GP is there for you. Send RESUME if you "
                    "ever want tips again."
                )
            )
            return done(PauseTips(ctx.now + timedelta(days=3650)), ctx.say(text))
        return go(FLOW_OBJECT, ctx, at(FLOW, "date", dict(state.data)))
    value, problem = cd.parse_child_date(ctx, "born", answer.text)
    if value is None or (child.due_date and value < child.due_date - timedelta(weeks=20)):
        return retry(FLOW_OBJECT, ctx, state, problem)
    thanks = ctx.text(N_("Thank you. Your tips will now follow your baby's age."))
    return done(UpdateChild(child.id, child.nickname, value, None), ctx.say(thanks))


FLOW_OBJECT = FlowFunctions(ask, handle)
