"""The consultation form: its fields, read from a POST, turned into what the validator reads.

Pure: no database, no request. The form holds what a person typed (strings, kept exactly);
`to_data` turns it into the same mapping a YAML file loads into, so the CLI's validator judges
both; `from_consultation` fills the form from a stored draft.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from conversations.consultations.model import (
    QUESTION_TYPES,
    Consultation,
    Question,
    format_duration,
)

LANGS = ("en", "cy")
MAX_QUESTIONS = 30
WITH_OPTIONS = ("choice", "multi")
LOCAL_TIME = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


@dataclass
class QuestionFields:
    """One question slot; names in the form are `q{n}_{field}` (n from 1)."""

    id: str = ""
    type: str = "choice"
    text_en: str = ""
    text_cy: str = ""
    options_en: str = ""  # one option per line
    options_cy: str = ""
    optional: str = ""  # "on" when ticked
    min: str = ""
    max: str = ""
    low_en: str = ""
    low_cy: str = ""
    high_en: str = ""
    high_cy: str = ""

    def is_blank(self) -> bool:
        return not any(
            getattr(self, f.name).strip() for f in fields(self) if f.name not in ("id", "type")
        )


@dataclass
class FormFields:
    """The whole form; names in the form are these attribute names."""

    cid: str = ""
    title_en: str = ""
    title_cy: str = ""
    intro_en: str = ""
    intro_cy: str = ""
    community: str = ""
    audience_language: str = ""
    audience_channel: str = ""
    age_min: str = ""
    age_max: str = ""
    closes_at: str = ""  # local time in the community's time zone
    reminders: str = ""  # days after launch, like "2, 5"
    questions: list[QuestionFields] = field(default_factory=list)


def read_form(form: Mapping[str, Any]) -> FormFields:
    """The fields of a submitted form (every slot up to `count`, as typed)."""

    def get(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    try:
        count = max(1, min(int(get("count") or 1), MAX_QUESTIONS))
    except ValueError:
        count = 1
    top = {f.name: get(f.name) for f in fields(FormFields) if f.name != "questions"}
    questions = [
        QuestionFields(**{f.name: get(f"q{n}_{f.name}") for f in fields(QuestionFields)})
        for n in range(1, count + 1)
    ]
    for question in questions:
        question.type = question.type if question.type in QUESTION_TYPES else "choice"
    return FormFields(**top, questions=questions)


def languages_needed(form: FormFields, community_languages: tuple[str, ...]) -> tuple[str, ...]:
    """As the CLI: the audience's language if one is chosen, else the community's."""
    if form.audience_language in community_languages:
        return (form.audience_language,)
    return community_languages


def slug(text: str, limit: int = 20) -> str:
    """A short id from an option's words: "Once a week!" -> "once-a-week"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-")


def _texts(**by_lang: str) -> dict[str, str]:
    return {lang: text.strip() for lang, text in by_lang.items() if text.strip()}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str) -> int | float | str:
    """A number if it reads as one, else the text as typed (the validator names it)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() else value


def _options(q: QuestionFields) -> list[dict[str, Any]]:
    english, welsh = _lines(q.options_en), _lines(q.options_cy)
    options: list[dict[str, Any]] = []
    used: set[str] = set()
    for i in range(max(len(english), len(welsh))):
        en = english[i] if i < len(english) else ""
        cy = welsh[i] if i < len(welsh) else ""
        oid = slug(en or cy) or str(i + 1)
        while oid in used:
            oid = f"{oid[:16]}-{i + 1}"
        used.add(oid)
        options.append({"id": oid, "text": _texts(en=en, cy=cy)})
    return options


def _question(q: QuestionFields, n: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": q.id.strip() or f"q{n}",
        "type": q.type,
        "text": _texts(en=q.text_en, cy=q.text_cy),
    }
    if q.type in WITH_OPTIONS:
        data["options"] = _options(q)
    if q.type == "scale":
        data["labels"] = {
            "low": _texts(en=q.low_en, cy=q.low_cy),
            "high": _texts(en=q.high_en, cy=q.high_cy),
        }
    if q.type == "number":
        for key in ("min", "max"):
            if getattr(q, key).strip():
                data[key] = _number(getattr(q, key).strip())
    if q.optional:
        data["optional"] = True
    return data


def _local(text: str, timezone: str) -> str:
    """An ISO time with its offset from a local one; as typed if it is not one."""
    try:
        moment = datetime.strptime(text.strip(), LOCAL_TIME)
    except ValueError:
        return text.strip()
    return moment.replace(tzinfo=ZoneInfo(timezone)).isoformat()


def to_data(form: FormFields, timezone: str) -> dict[str, Any]:
    """The mapping a YAML file with these answers would load into."""
    questions = [q for q in form.questions if not q.is_blank()]
    data: dict[str, Any] = {
        "title": _texts(en=form.title_en, cy=form.title_cy),
        "intro": _texts(en=form.intro_en, cy=form.intro_cy),
        "questions": [_question(q, n) for n, q in enumerate(questions, start=1)],
    }
    if form.cid.strip():
        data["id"] = form.cid.strip()
    audience: dict[str, Any] = {"community": form.community}
    if form.audience_language:
        audience["language"] = form.audience_language
    if form.audience_channel:
        audience["channel"] = form.audience_channel
    if form.age_min.strip() or form.age_max.strip():
        ages = [_number(form.age_min.strip() or "0"), _number(form.age_max.strip() or "72")]
        audience["child_age_months"] = ages
    data["audience"] = audience
    if form.closes_at.strip():
        data["closes_at"] = _local(form.closes_at, timezone)
    days = [d for d in re.split(r"[,\s]+", form.reminders) if d]
    if days:
        data["reminders"] = [f"P{d}D" if d.isdigit() else d for d in days]
    return data


def _question_fields(q: Question) -> QuestionFields:
    def number(value: float | None) -> str:
        return "" if value is None or q.type != "number" else f"{value:g}"

    return QuestionFields(
        id=q.id,
        type=q.type,
        text_en=q.text.get("en", ""),
        text_cy=q.text.get("cy", ""),
        options_en="\n".join(o.text.get("en", "") for o in q.options),
        options_cy="\n".join(o.text.get("cy", "") for o in q.options),
        optional="on" if q.optional else "",
        min=number(q.min),
        max=number(q.max),
        low_en=q.labels.get("low", {}).get("en", ""),
        low_cy=q.labels.get("low", {}).get("cy", ""),
        high_en=q.labels.get("high", {}).get("en", ""),
        high_cy=q.labels.get("high", {}).get("cy", ""),
    )


def from_consultation(c: Consultation, timezone: str) -> FormFields:
    """The form for a stored consultation (skip logic is kept only by editing its YAML)."""
    ages = c.audience.child_age_months
    days = [str(r.days) if r.days and not r.seconds else format_duration(r) for r in c.reminders]
    closes = c.closes_at.astimezone(ZoneInfo(timezone)).strftime(LOCAL_TIME) if c.closes_at else ""
    return FormFields(
        cid=c.id,
        title_en=c.title.get("en", ""),
        title_cy=c.title.get("cy", ""),
        intro_en=c.intro.get("en", ""),
        intro_cy=c.intro.get("cy", ""),
        community=c.audience.community or "",
        audience_language=c.audience.language or "",
        audience_channel=c.audience.channel or "",
        age_min=str(ages[0]) if ages else "",
        age_max=str(ages[1]) if ages else "",
        closes_at=closes,
        reminders=", ".join(days),
        questions=[_question_fields(q) for q in c.questions],
    )
