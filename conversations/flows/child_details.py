"""Questions about one child, shared by onboarding and the CHILDREN menu."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta
from typing import Any

from conversations.flows.base import N_, Answer, ChoiceSpec, Ctx
from conversations.i18n import translator
from conversations.parsing.dates import parse_date
from conversations.types import Child

KIND_DUE = "kind:due"
KIND_BORN = "kind:born"
KIND_CHOICES = (
    ChoiceSpec(KIND_DUE, N_("Baby on the way"), ("pregnant", "expecting", "due", "disgwyl")),
    ChoiceSpec(KIND_BORN, N_("Already born"), ("born", "born already", "wedi geni", "ganwyd")),
)
SKIP = ChoiceSpec("skip", N_("Skip"), ("skip", "no", "none", "na", "dim", "sgipio", "hepgor"))

MAX_NICKNAME = 30
MAX_AGE_YEARS = 5
DUE_GRACE_DAYS = 14
MAX_PREGNANCY_DAYS = 42 * 7


def kind_question(ctx: Ctx) -> str:
    return ctx.text(N_("Is this a baby on the way, or a child who is already born?"))


def kind_from(ctx: Ctx, answer: Answer) -> str | None:
    picked = ctx.pick(answer, KIND_CHOICES)
    return None if picked is None else ("due" if picked == KIND_DUE else "born")


def date_question(ctx: Ctx, kind: str) -> str:
    today = ctx.today
    sample = today + timedelta(days=90) if kind == "due" else today - timedelta(days=200)
    values = {"numeric": sample.strftime("%d/%m/%Y")}
    if kind == "due":
        return _per_locale(
            ctx, N_("When is your baby due? For example: {numeric} or {long}"), sample, values
        )
    return _per_locale(
        ctx,
        N_("What is your child's date of birth? For example: {numeric} or {long}"),
        sample,
        values,
    )


def _per_locale(ctx: Ctx, message: str, sample: date, values: dict[str, Any]) -> str:
    """Compose per language so the long date is written in that language's words."""
    parts = [
        translator(lang)._(message, long=translator(lang).date(sample), **values)
        for lang in ctx.locales
    ]
    return "\n\n".join(parts)


def parse_child_date(ctx: Ctx, kind: str, text: str) -> tuple[date | None, str | None]:
    """The date, or None and the reason (already translated) it cannot be used."""
    today = ctx.today
    parsed = parse_date(text, today, prefer="future" if kind == "due" else "past")
    if parsed is None:
        return None, ctx.text(N_("Sorry, I couldn't read that date."))
    value = parsed.value
    if kind == "born":
        if parsed.precision == "month" and value > today:
            value = today
        if value > today:
            return None, ctx.text(N_("That date is in the future, so it can't be a birth date."))
        if value < _years_ago(today, MAX_AGE_YEARS):
            return None, ctx.text(
                N_("That's more than five years ago. Our tips are for children under five.")
            )
    else:
        if value < today - timedelta(days=DUE_GRACE_DAYS):
            return None, ctx.text(
                N_(
                    "That due date has already passed. If your baby has arrived, "
                    "choose Go back, then Already born."
                )
            )
        if value > today + timedelta(days=MAX_PREGNANCY_DAYS):
            return None, ctx.text(N_("That's more than 42 weeks away."))
    return value, None


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_nickname(text: str) -> str | None:
    """A tidy nickname, or None if it is empty or too long to be a name."""
    cleaned = " ".join(_CONTROL.sub(" ", unicodedata.normalize("NFC", text)).split())
    if not cleaned or len(cleaned) > MAX_NICKNAME:
        return None
    return cleaned


def read_nickname(ctx: Ctx, answer: Answer) -> tuple[bool, str | None]:
    """(True, the name or None for Skip), or (False, None) when the reply cannot be a name."""
    if ctx.pick(answer, (SKIP,)) == SKIP.id:
        return True, None
    nickname = clean_nickname(answer.text)
    return (nickname is not None), nickname


def nickname_problem(ctx: Ctx) -> str:
    return ctx.text(N_("Please send a short name, up to 30 letters, or choose Skip."))


def nickname_question(ctx: Ctx) -> str:
    return ctx.text(
        N_(
            "What would you like me to call your child? A first name or a nickname is fine, "
            "or choose Skip."
        )
    )


def describe(ctx: Ctx, child: Child) -> str:
    """One line about a child, in every current locale, e.g. 'Sam: born 12 March 2025'."""
    return " / ".join(child_line(lang, child) for lang in ctx.locales)


def child_line(lang: str, child: Child) -> str:
    """One line about a child in one language."""
    tr = translator(lang)
    name = child.nickname
    if child.due_date is not None:
        when = tr.date(child.due_date)
        return (
            tr._("{name}: due {date}", name=name, date=when)
            if name
            else tr._("A baby due {date}", date=when)
        )
    when = tr.date(child.birth_date) if child.birth_date else "?"
    return (
        tr._("{name}: born {date}", name=name, date=when)
        if name
        else tr._("A child born {date}", date=when)
    )
