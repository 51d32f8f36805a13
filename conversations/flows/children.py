"""CHILDREN / PLANT: list the children, add one, change a date, or remove one."""

from __future__ import annotations

from typing import Any

from conversations.effects import AddChild, RemoveChild, StepResult, UpdateChild
from conversations.flows import child_details as cd
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx, FlowFunctions, at, done, go, retry
from conversations.flows.onboarding import BACK
from conversations.types import Child, ConversationState, OutgoingMessage

FLOW = "children"

ADD = ChoiceSpec("ch:add", N_("Add a child"), ("add", "ychwanegu"))
CHANGE = ChoiceSpec("ch:change", N_("Change a date"), ("change", "newid"))
REMOVE = ChoiceSpec("ch:remove", N_("Remove a child"), ("remove", "tynnu"))
FINISHED = ChoiceSpec("ch:done", N_("Done"), ("done", "finished", "dim", "gorffen", "wedi gorffen"))
YES_REMOVE = ChoiceSpec("rm:yes", N_("Yes, remove"), ("yes", "ie", "ydw"))
KEEP = ChoiceSpec("rm:no", N_("No, keep"), ("no", "na", "nac ydw"))


def begin(ctx: Ctx) -> StepResult:
    return go(FLOW_OBJECT, ctx, at(FLOW, "menu"))


def _menu_choices(ctx: Ctx) -> tuple[ChoiceSpec, ...]:
    if not ctx.contact.children:
        return (ADD, FINISHED)
    full = len(ctx.contact.children) >= ctx.config.max_children
    return (CHANGE, REMOVE, FINISHED) if full else (ADD, CHANGE, REMOVE, FINISHED)


def _child_choices(ctx: Ctx) -> tuple[ChoiceSpec, ...]:
    return tuple(
        ChoiceSpec(f"child:{i}", cd.describe(ctx, child))
        for i, child in enumerate(ctx.contact.children)
    )


def _chosen(ctx: Ctx, data: dict[str, Any]) -> Child:
    return ctx.contact.children[int(data["child"])]


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    step = state.step
    if step == "menu":
        if ctx.contact.children:
            lines = "\n".join(f"- {cd.describe(ctx, c)}" for c in ctx.contact.children)
            text = ctx.text(N_("Your children:")) + "\n" + lines + "\n\n"
        else:
            text = ctx.text(N_("You haven't added any children yet.")) + "\n\n"
        return ctx.message(text + ctx.text(N_("What would you like to do?")), _menu_choices(ctx))
    if step == "pick":
        return ctx.message(ctx.text(N_("Which child?")), _child_choices(ctx))
    if step == "kind":
        return ctx.message(cd.kind_question(ctx), cd.KIND_CHOICES)
    if step == "date":
        return ctx.message(cd.date_question(ctx, state.data["kind"]), (BACK,))
    if step == "name":
        return ctx.message(cd.nickname_question(ctx), (cd.SKIP,))
    child = _chosen(ctx, dict(state.data))
    text = ctx.text(N_("Remove this child? {child}"), child=cd.describe(ctx, child))
    return ctx.message(text, (YES_REMOVE, KEEP))


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    data = dict(state.data)
    step = state.step
    if step == "menu":
        picked = ctx.pick(answer, _menu_choices(ctx))
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        if picked == FINISHED.id:
            return done(ctx.say(ctx.text(N_("OK. Send CHILDREN at any time to come back here."))))
        if picked == ADD.id:
            return go(FLOW_OBJECT, ctx, at(FLOW, "kind", {"action": "add"}))
        data = {"action": "change" if picked == CHANGE.id else "remove"}
        if len(ctx.contact.children) == 1:
            return _after_pick(ctx, {**data, "child": 0})
        return go(FLOW_OBJECT, ctx, at(FLOW, "pick", data))
    if step == "pick":
        picked = ctx.pick(answer, _child_choices(ctx))
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        return _after_pick(ctx, {**data, "child": int(picked.split(":")[1])})
    if step == "kind":
        kind = cd.kind_from(ctx, answer)
        if kind is None:
            return retry(FLOW_OBJECT, ctx, state)
        return go(FLOW_OBJECT, ctx, at(FLOW, "date", {**data, "kind": kind}))
    if step == "date":
        return _dated(ctx, state, data, answer)
    if step == "name":
        return _named(ctx, state, data, answer)
    picked = ctx.pick(answer, (YES_REMOVE, KEEP))
    if picked is None:
        return retry(FLOW_OBJECT, ctx, state)
    child = _chosen(ctx, data)
    if picked == KEEP.id or child.id is None:
        return done(ctx.say(ctx.text(N_("OK, nothing has changed."))))
    return done(RemoveChild(child.id), ctx.say(ctx.text(N_("Done. That child has been removed."))))


def _after_pick(ctx: Ctx, data: dict[str, Any]) -> StepResult:
    step = "kind" if data["action"] == "change" else "confirm_remove"
    return go(FLOW_OBJECT, ctx, at(FLOW, step, data))


def _dated(ctx: Ctx, state: ConversationState, data: dict[str, Any], answer: Answer) -> StepResult:
    if ctx.pick(answer, (BACK,)) == BACK.id:
        return go(FLOW_OBJECT, ctx, at(FLOW, "kind", data))
    value, problem = cd.parse_child_date(ctx, data["kind"], answer.text)
    if value is None:
        return retry(FLOW_OBJECT, ctx, state, problem)
    birth = value if data["kind"] == "born" else None
    due = value if data["kind"] == "due" else None
    if data["action"] == "add":
        pending = Child(None, None, birth_date=birth, due_date=due).to_json()
        return go(FLOW_OBJECT, ctx, at(FLOW, "name", {**data, "pending": pending}))
    child = _chosen(ctx, data)
    if child.id is None:
        return done()
    updated = Child(child.id, child.nickname, birth_date=birth, due_date=due)
    text = ctx.text(N_("Thank you, I've updated it: {child}"), child=cd.describe(ctx, updated))
    return done(UpdateChild(child.id, child.nickname, birth, due), ctx.say(text))


def _named(ctx: Ctx, state: ConversationState, data: dict[str, Any], answer: Answer) -> StepResult:
    understood, nickname = cd.read_nickname(ctx, answer)
    if not understood:
        return retry(FLOW_OBJECT, ctx, state, cd.nickname_problem(ctx))
    child = Child.from_json({**data["pending"], "nickname": nickname})
    text = ctx.text(N_("Thank you, I've added: {child}"), child=cd.describe(ctx, child))
    return done(AddChild(nickname, child.birth_date, child.due_date), ctx.say(text))


FLOW_OBJECT = FlowFunctions(ask, handle)
