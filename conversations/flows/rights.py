"""A family's rights: MYDATA (what we keep) and DELETE (erase it all, after a confirmation)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from conversations.effects import EraseContact, Reply, StepResult
from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx, FlowFunctions, at, retry
from conversations.flows.child_details import child_line
from conversations.i18n import Translator, day_name, language_name, translator
from conversations.keywords import Keyword, word_for
from conversations.types import IDLE, ConversationState, OutgoingMessage, Records

FLOW = "erase"
CHANNEL_NAMES = {"sms": "SMS", "telegram": "Telegram"}  # product names: never translated
YES = ChoiceSpec("erase:yes", N_("Yes, delete everything"), ("yes", "ie", "ydw", "do"))
NO = ChoiceSpec("erase:no", N_("No, keep it"), ("no", "na", "nac ydw", "keep"))


def describe(ctx: Ctx) -> str:
    """MYDATA: what the bot keeps about this family, in every current locale."""
    return "\n\n".join(_describe_in(ctx, lang) for lang in ctx.locales)


def _describe_in(ctx: Ctx, lang: str) -> str:
    tr, contact = translator(lang), ctx.contact
    records = contact.records or Records(channels=(contact.channel.value,))
    channels = ", ".join(CHANNEL_NAMES.get(c, c) for c in records.channels) or "-"
    language = language_name(contact.language) if contact.language else tr._("not chosen yet")
    lines = [
        tr._("This is what we keep about you."),
        tr._(
            "Language: {language}. Community: {community}. Messages by: {channels}.",
            language=language,
            community=ctx.community.name,
            channels=channels,
        ),
    ]
    if contact.children:
        kids = "; ".join(child_line(lang, child) for child in contact.children)
        lines.append(tr._("Children: {children}.", children=kids))
    else:
        lines.append(tr._("No children added yet."))
    lines.append(_consent(ctx, tr, records))
    day = day_name(contact.tip_weekday, lang)
    lines.append(tr._("Tips: {day} at {time}.", day=day, time=contact.tip_time))
    lines.append(
        tr._(
            "Consultations answered: {consultations}. Events replied to: {events}.",
            consultations=records.consultations,
            events=records.events,
        )
    )
    delete = word_for(Keyword.DELETE, lang)
    if ctx.config.privacy_contact:
        lines.append(
            tr._(
                "For a full copy, contact our team: {contact}. Send {delete} to erase it all.",
                contact=ctx.config.privacy_contact,
                delete=delete,
            )
        )
    else:
        lines.append(
            tr._(
                "For a full copy, write to us here and our team will send it. "
                "Send {delete} to erase it all.",
                delete=delete,
            )
        )
    return "\n".join(lines)


def _consent(ctx: Ctx, tr: Translator, records: Records) -> str:
    version = ctx.contact.consent_version
    if version is None:
        return tr._("You haven't agreed to our privacy notice.")
    if records.consented_at is None:
        return tr._("You agreed to privacy notice {version}.", version=version)
    day = records.consented_at.astimezone(ZoneInfo(ctx.community.timezone)).date()
    return tr._(
        "You agreed to privacy notice {version} on {date}.", version=version, date=tr.date(day)
    )


def begin(ctx: Ctx, resume: ConversationState) -> StepResult:
    """Ask for confirmation; `resume` is where a "no" carries on."""
    if resume.flow == FLOW:
        return StepResult(resume, (Reply(ask(ctx, resume)),))
    data = {"resume": {"flow": resume.flow, "step": resume.step, "data": dict(resume.data)}}
    state = at(FLOW, "confirm", data)
    return StepResult(state, (Reply(ask(ctx, state)),))


def ask(ctx: Ctx, state: ConversationState) -> OutgoingMessage:
    text = ctx.text(
        N_(
            "Do you want us to delete everything we keep about you and your children? "
            "This cannot be undone."
        )
    )
    return ctx.message(text, (YES, NO))


def handle(ctx: Ctx, state: ConversationState, answer: Answer) -> StepResult:
    picked = ctx.pick_yes_no(answer, YES, NO)
    if picked is None:
        return retry(FLOW_OBJECT, ctx, state)
    if picked == YES.id:
        goodbye = ctx.text(
            N_(
                "We have deleted everything we kept about you and your children. "
                "Thank you, and goodbye. If you want to join again, send START."
            )
        )
        return StepResult(IDLE, (EraseContact(ctx.message(goodbye)),))
    saved = state.data.get("resume") or {}
    resume = ConversationState(saved.get("flow"), saved.get("step"), saved.get("data") or {})
    effects: list[Reply] = [ctx.say(ctx.text(N_("OK, nothing has been deleted.")))]
    if resume.flow is not None:
        from conversations.engine import flow_named

        effects.append(Reply(flow_named(resume.flow).ask(ctx, resume)))
    return StepResult(resume, tuple(effects))


FLOW_OBJECT = FlowFunctions(ask, handle)
