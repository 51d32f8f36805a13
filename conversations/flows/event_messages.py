"""What events send a parent unasked (the announcement, reminders, a change, a cancellation, a
freed place), in the event's language, and the pieces the RSVP conversation shares."""

from __future__ import annotations

from dataclasses import replace

from babel.dates import format_date

from conversations.events.model import (
    LONDON,
    RSVP_ANSWERS,
    Event,
    Rsvp,
    pick,
    rsvp_data,
)
from conversations.flows.base import N_, Ctx
from conversations.i18n import DATE_LOCALES
from conversations.types import (
    Channel,
    Choice,
    MessageKind,
    OutgoingMessage,
)

LABELS: dict[Rsvp, str] = {"yes": N_("Yes"), "maybe": N_("Maybe"), "no": N_("No")}


def in_language(ctx: Ctx, event: Event) -> Ctx:
    """The context in one language the event is written in: the parent's, else English."""
    lang = next((lang for lang in (ctx.locales[0], "en") if lang in event.title), None)
    return ctx.with_language(lang or next(iter(event.title), ctx.locales[0]))


def language_of(ctx: Ctx) -> str:
    return ctx.locales[0]


def facts(ctx: Ctx, event: Event) -> dict[str, str]:
    """The title, time and venue in the context's language, for a sentence's placeholders.

    On SMS the time has a plain hyphen: an en dash would make the whole text UCS-2, which more
    than doubles what it costs (see `conversations.sms`)."""
    lang, when = language_of(ctx), event.when_text(language_of(ctx))
    if ctx.contact.channel is Channel.SMS:
        when = when.replace("\u2013", "-")
    return {"title": pick(event.title, lang), "when": when, "venue": pick(event.venue, lang)}


def short_when(ctx: Ctx, event: Event) -> str:
    start = event.starts_at.astimezone(LONDON)
    lang = language_of(ctx)
    day = format_date(start.date(), "EEEE d MMMM", locale=DATE_LOCALES.get(lang, lang))
    return f"{day}, {start:%H:%M}"


def choices(ctx: Ctx, event: Event) -> tuple[Choice, ...]:
    return tuple(Choice(rsvp_data(event.id, a), ctx.label(LABELS[a])) for a in RSVP_ANSWERS)


def cant_come(ctx: Ctx, event: Event) -> tuple[Choice, ...]:
    return (Choice(rsvp_data(event.id, "no"), ctx.label(N_("Can't come"))),)


def message(
    ctx: Ctx, parts: list[str], choices: tuple[Choice, ...] = (), *, proactive: bool = True
) -> OutgoingMessage:
    kind = MessageKind.PROACTIVE if proactive else MessageKind.REPLY
    text = "\n\n".join(p for p in parts if p)
    return OutgoingMessage(text, ctx.locales, choices, kind)


def details(ctx: Ctx, event: Event) -> list[str]:
    known = facts(ctx, event)
    where = ctx.text(N_("{when} at {venue}."), **known)
    return [known["title"], where, pick(event.description, language_of(ctx))]


def announcement(ctx: Ctx, event: Event) -> OutgoingMessage:
    ctx = in_language(ctx, event)
    parts = [*details(ctx, event), ctx.text(N_("Can you come?"))]
    return message(ctx, parts, choices(ctx, event))


def reminder(ctx: Ctx, event: Event) -> OutgoingMessage:
    ctx = in_language(ctx, event)
    text = ctx.text(
        N_(
            "Reminder: {title} is {when} at {venue}. If you can't come any more, "
            "reply NO so someone else can have your place."
        ),
        **facts(ctx, event),
    )
    return replace(message(ctx, [text], cant_come(ctx, event)), list_on_sms=False)


def changed(ctx: Ctx, event: Event) -> OutgoingMessage:
    ctx = in_language(ctx, event)
    text = ctx.text(N_("{title} has changed: it is now {when} at {venue}."), **facts(ctx, event))
    return message(ctx, [text, ctx.text(N_("Can you still come?"))], choices(ctx, event))


def cancelled(ctx: Ctx, event: Event) -> OutgoingMessage:
    ctx = in_language(ctx, event)
    text = ctx.text(N_("Sorry, {title} on {when} has been cancelled."), **facts(ctx, event))
    return message(ctx, [text])


def place_freed(ctx: Ctx, event: Event) -> OutgoingMessage:
    ctx = in_language(ctx, event)
    text = ctx.text(
        N_(
            "Good news: a place has come up at {title} ({when}) and it's yours. "
            "If you can't come, reply NO."
        ),
        **facts(ctx, event),
    )
    return replace(message(ctx, [text], cant_come(ctx, event)), list_on_sms=False)
