"""Welcome a new parent: language, privacy notice, each child's date and name, then confirm."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from conversations.content.library import tip_for
from conversations.effects import (
    AddChild,
    Effect,
    RecordConsent,
    Reply,
    SetLanguage,
    SetStatus,
    StepResult,
)
from conversations.flows import child_details as cd
from conversations.flows import tips
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx, FlowFunctions, at, done, go, retry
from conversations.i18n import day_name, language_name, translator
from conversations.types import (
    Channel,
    Child,
    ContactStatus,
    ConversationState,
    MessageKind,
    OutgoingMessage,
)

FLOW = "onboarding"

AGREE = ChoiceSpec("consent:yes", N_("Yes, I agree"))
DECLINE = ChoiceSpec("consent:no", N_("No thanks"))
MORE = ChoiceSpec("more:yes", N_("Add another child"))
NO_MORE = ChoiceSpec("more:no", N_("No, that's all"))
CONFIRM = ChoiceSpec("confirm:yes", N_("Yes, that's right"))
RESTART = ChoiceSpec("confirm:restart", N_("Start again"))
BACK = ChoiceSpec("back", N_("Go back"), ("back", "yn ol", "nol"))


def language_choices(languages: tuple[str, ...]) -> tuple[ChoiceSpec, ...]:
    """Each language offered by its own name, plus the words people type for it."""
    words = {"cy": ("welsh", "cymraeg", "cym", "cy"), "en": ("english", "saesneg", "eng", "en")}
    return tuple(
        ChoiceSpec(f"lang:{lang}", language_name(lang), words.get(lang, (lang,)), translated=False)
        for lang in languages
    )


def begin(ctx: Ctx) -> StepResult:
    """The first words a new parent sees: bilingual where the community is."""
    if len(ctx.community.languages) > 1 and not ctx.contact.language:
        return go(FLOW_OBJECT, ctx, at(FLOW, "language"))
    language = ctx.contact.language or ctx.community.languages[0]
    effects = () if ctx.contact.language else (SetLanguage(language),)
    ctx = ctx.with_language(language)
    welcome = ctx.text(welcome_line(), community=ctx.community.name)
    state = at(FLOW, "consent")
    consent = ask(ctx, state)
    return StepResult(state, (*effects, ctx.say(welcome), Reply(consent)))


def welcome_line() -> str:
    return N_(
        "Hello from the {community} Early Learning Community! We send short, free tips "
        "to help your child learn and grow, from pregnancy to age five."
    )


def _drafts(state: ConversationState) -> list[Child]:
    return [Child.from_json(c) for c in state.data.get("children", [])]


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    step = state.step
    if step == "language":
        blocks = [
            translator(lang)._(welcome_line(), community=ctx.community.name)
            + "\n\n"
            + translator(lang)._("Which language would you like?")
            for lang in ctx.locales
        ]
        return ctx.message("\n\n".join(blocks), language_choices(ctx.community.languages))
    if step == "consent":
        text = ctx.text(
            N_(
                "Before we start: we keep your contact details, your language and your "
                "children's birth or due dates, so we can send tips that fit their age. "
                "We never sell or share them. Full privacy notice: {url} Do you agree?"
            ),
            url=ctx.config.privacy_notice_url,
        )
        return ctx.message(text, (AGREE, DECLINE))
    if step == "kind":
        return ctx.message(cd.kind_question(ctx), cd.KIND_CHOICES)
    if step == "date":
        return ctx.message(cd.date_question(ctx, state.data["kind"]), (BACK,))
    if step == "name":
        return ctx.message(cd.nickname_question(ctx), (cd.SKIP,))
    if step == "more":
        return ctx.message(ctx.text(N_("Would you like to add another child?")), (MORE, NO_MORE))
    lines = "\n".join(f"- {cd.describe(ctx, child)}" for child in _drafts(state))
    text = (
        ctx.text(N_("Here is what I have:"))
        + "\n"
        + lines
        + "\n\n"
        + ctx.text(N_("Is that right?"))
    )
    return ctx.message(text, (CONFIRM, RESTART))


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    step = state.step
    data = dict(state.data)
    if step == "language":
        picked = ctx.pick(answer, language_choices(ctx.community.languages))
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        language = picked.split(":", 1)[1]
        ctx = ctx.with_language(language)
        return go(FLOW_OBJECT, ctx, at(FLOW, "consent", data), SetLanguage(language))
    if step == "consent":
        picked = ctx.pick_yes_no(answer, AGREE, DECLINE)
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        version = ctx.config.privacy_notice_version
        if picked == DECLINE.id:
            goodbye = ctx.text(
                N_(
                    "That's fine. We won't keep anything else or message you. "
                    "If you change your mind, send START."
                )
            )
            return done(
                RecordConsent(version, agreed=False),
                SetStatus(ContactStatus.DECLINED),
                ctx.say(goodbye),
            )
        thanks = ctx.say(ctx.text(N_("Thank you.")))
        return go(FLOW_OBJECT, ctx, at(FLOW, "kind", data), RecordConsent(version, True), thanks)
    if step == "kind":
        kind = cd.kind_from(ctx, answer)
        if kind is None:
            return retry(FLOW_OBJECT, ctx, state)
        return go(FLOW_OBJECT, ctx, at(FLOW, "date", {**data, "kind": kind}))
    if step == "date":
        if ctx.pick(answer, (BACK,)) == BACK.id:
            return go(FLOW_OBJECT, ctx, at(FLOW, "kind", data))
        value, problem = cd.parse_child_date(ctx, data["kind"], answer.text)
        if value is None:
            return retry(FLOW_OBJECT, ctx, state, problem)
        child = Child(
            None,
            None,
            birth_date=value if data["kind"] == "born" else None,
            due_date=value if data["kind"] == "due" else None,
        )
        return go(FLOW_OBJECT, ctx, at(FLOW, "name", {**data, "pending": child.to_json()}))
    if step == "name":
        return _named(ctx, state, data, answer)
    if step == "more":
        picked = ctx.pick_yes_no(answer, MORE, NO_MORE)
        if picked is None:
            return retry(FLOW_OBJECT, ctx, state)
        next_step = "kind" if picked == MORE.id else "confirm"
        return go(FLOW_OBJECT, ctx, at(FLOW, next_step, data))
    return _confirmed(ctx, state, data, answer)


def _named(ctx: Ctx, state: ConversationState, data: dict[str, Any], answer: Answer) -> StepResult:
    understood, nickname = cd.read_nickname(ctx, answer)
    if not understood:
        return retry(FLOW_OBJECT, ctx, state, cd.nickname_problem(ctx))
    pending = {**data.pop("pending"), "nickname": nickname}
    children = [*data.get("children", []), pending]
    data = {k: v for k, v in data.items() if k != "kind"} | {"children": children}
    if len(children) >= ctx.config.max_children:
        return go(FLOW_OBJECT, ctx, at(FLOW, "confirm", data))
    return go(FLOW_OBJECT, ctx, at(FLOW, "more", data))


def _confirmed(
    ctx: Ctx, state: ConversationState, data: dict[str, Any], answer: Answer
) -> StepResult:
    picked = ctx.pick_yes_no(answer, CONFIRM, RESTART)
    if picked is None:
        return retry(FLOW_OBJECT, ctx, state)
    if picked == RESTART.id:
        restart = ctx.say(ctx.text(N_("No problem, let's start the children again.")))
        return go(FLOW_OBJECT, ctx, at(FLOW, "kind"), restart)
    lang = ctx.locales[0]
    adds, first_tips = [], []
    for child in _drafts(state):
        library = ctx.config.tips
        tip = tip_for(library, ctx.today, child.birth_date, child.due_date) if library else None
        adds.append(
            AddChild(child.nickname, child.birth_date, child.due_date, tip.id if tip else None)
        )
        if tip is not None:
            first_tips.append((child, tip))
    day = day_name(ctx.contact.tip_weekday, lang)
    finish = ctx.text(
        N_(
            "All done, thank you! You'll get a short tip each {day} at {time} that fits your "
            "child's age. Send TIPS to change the day, HELP to see what I can do, or STOP to "
            "stop messages."
        ),
        day=day,
        time=ctx.contact.tip_time,
    )
    if ctx.contact.channel is Channel.SMS:
        finish += " " + ctx.text(
            N_(
                "After a tip, you can reply 1 if it was useful, 2 if you tried it, "
                "or 3 if it's not for you."
            )
        )
    effects: list[Effect] = [*adds, SetStatus(ContactStatus.ACTIVE), ctx.say(finish)]
    if first_tips:
        first = tips.tip_message(lang, first_tips)
        intro = ctx.text(N_("Here is your first tip:"))
        text = f"{intro}\n\n{first.text}"
        effects.append(Reply(replace(first, text=text, kind=MessageKind.REPLY)))
    return done(*effects)


FLOW_OBJECT = FlowFunctions(ask, handle)
