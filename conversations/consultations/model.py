"""A consultation as the engine sees it: validated, immutable, and JSON round-trippable."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, cast

QuestionType = Literal["choice", "multi", "scale", "yesno", "number", "text", "date"]
QUESTION_TYPES: tuple[str, ...] = ("choice", "multi", "scale", "yesno", "number", "text", "date")
END = "end"  # the `next` that finishes the consultation

Texts = Mapping[str, str]

_DURATION = re.compile(
    r"P(?:(?P<weeks>[0-9]+)W|(?:(?P<days>[0-9]+)D)?"
    r"(?:T(?=[0-9])(?:(?P<hours>[0-9]+)H)?(?:(?P<minutes>[0-9]+)M)?(?:(?P<seconds>[0-9]+)S)?)?)"
)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration in weeks, days, hours, minutes or seconds ("P2D", "PT6H", "P1W")."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"{text!r} is not an ISO 8601 duration like P2D or PT6H")
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        return timedelta(**parts)
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None


def format_duration(delta: timedelta) -> str:
    """The ISO 8601 form of a non-negative timedelta, as `parse_duration` reads it."""
    if delta < timedelta(0):
        raise ValueError("negative durations have no ISO 8601 form here")
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    day = f"{delta.days}D" if delta.days else ""
    time = "".join(f"{n}{u}" for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if not day and not time:
        return "PT0S"
    return f"P{day}{'T' + time if time else ''}"


@dataclass(frozen=True)
class Option:
    """One answer to a choice or multi question; `next` is skip logic."""

    id: str
    text: Texts
    next: str | None = None


@dataclass(frozen=True)
class Question:
    """One question; `labels` holds the scale's "low" and "high" texts."""

    id: str
    type: QuestionType
    text: Texts
    options: tuple[Option, ...] = ()
    optional: bool = False
    min: float | None = None
    max: float | None = None
    labels: Mapping[str, Texts] = field(default_factory=dict)
    next: str | None = None

    def texts(self) -> list[Texts]:
        """Every user-facing text of this question."""
        return [self.text, *(o.text for o in self.options), *self.labels.values()]


@dataclass(frozen=True)
class Audience:
    """Who is asked; None means everyone."""

    community: str | None = None
    language: str | None = None
    channel: str | None = None
    child_age_months: tuple[int, int] | None = None


@dataclass(frozen=True)
class Consultation:
    """A whole consultation, questions in the order they are asked."""

    id: str
    title: Texts
    intro: Texts
    questions: tuple[Question, ...]
    audience: Audience = field(default_factory=Audience)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    reminders: tuple[timedelta, ...] = ()

    def question(self, qid: str) -> Question:
        """The question with this id (KeyError if there is none)."""
        for question in self.questions:
            if question.id == qid:
                return question
        raise KeyError(qid)

    def first(self) -> Question:
        """The question asked first."""
        return self.questions[0]

    def next_after(self, question: Question, option_ids: Sequence[str] = ()) -> Question | None:
        """The question after this answer, or None when finished.

        A chosen option's `next` wins (with several, the earliest target); else the question's
        own `next`; else the following question.
        """
        chosen = set(option_ids)
        targets = [o.next for o in question.options if o.id in chosen and o.next is not None]
        if targets:
            return min((self._target(t) for t in targets), key=self._position)
        if question.next is not None:
            return self._target(question.next)
        index = self._position(question) + 1
        return self.questions[index] if index < len(self.questions) else None

    def _target(self, qid: str) -> Question | None:
        return None if qid == END else self.question(qid)

    def _position(self, question: Question | None) -> int:
        if question is None:
            return len(self.questions)
        for index, candidate in enumerate(self.questions):
            if candidate.id == question.id:
                return index
        raise KeyError(question.id)

    def texts(self) -> list[Texts]:
        """Every user-facing text: title, intro, questions, options and scale labels."""
        return [self.title, self.intro, *(t for q in self.questions for t in q.texts())]

    def languages(self) -> tuple[str, ...]:
        """Languages present in every user-facing text, English first."""
        common = set.intersection(*(set(t) for t in self.texts()))
        return tuple(sorted(common, key=lambda lang: (lang != "en", lang)))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict that `from_json` turns back into an equal consultation."""
        audience = self.audience
        return {
            "id": self.id,
            "title": dict(self.title),
            "intro": dict(self.intro),
            "questions": [_question_json(q) for q in self.questions],
            "audience": {
                "community": audience.community,
                "language": audience.language,
                "channel": audience.channel,
                "child_age_months": (
                    list(audience.child_age_months) if audience.child_age_months else None
                ),
            },
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
            "closes_at": self.closes_at.isoformat() if self.closes_at else None,
            "reminders": [format_duration(r) for r in self.reminders],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Consultation:
        """The consultation `to_json` described."""
        audience = data.get("audience") or {}
        ages = audience.get("child_age_months")
        return cls(
            id=data["id"],
            title=dict(data["title"]),
            intro=dict(data["intro"]),
            questions=tuple(_question_from_json(q) for q in data["questions"]),
            audience=Audience(
                community=audience.get("community"),
                language=audience.get("language"),
                channel=audience.get("channel"),
                child_age_months=(int(ages[0]), int(ages[1])) if ages else None,
            ),
            opens_at=_datetime(data.get("opens_at")),
            closes_at=_datetime(data.get("closes_at")),
            reminders=tuple(parse_duration(r) for r in data.get("reminders", ())),
        )


def _question_json(question: Question) -> dict[str, Any]:
    return {
        "id": question.id,
        "type": question.type,
        "text": dict(question.text),
        "options": [{"id": o.id, "text": dict(o.text), "next": o.next} for o in question.options],
        "optional": question.optional,
        "min": question.min,
        "max": question.max,
        "labels": {k: dict(v) for k, v in question.labels.items()},
        "next": question.next,
    }


def _question_from_json(data: Mapping[str, Any]) -> Question:
    if data["type"] not in QUESTION_TYPES:
        raise ValueError(f"unknown question type {data['type']!r}")
    return Question(
        id=data["id"],
        type=cast(QuestionType, data["type"]),
        text=dict(data["text"]),
        options=tuple(
            Option(o["id"], dict(o["text"]), o.get("next")) for o in data.get("options", ())
        ),
        optional=bool(data.get("optional", False)),
        min=_float(data.get("min")),
        max=_float(data.get("max")),
        labels={k: dict(v) for k, v in (data.get("labels") or {}).items()},
        next=data.get("next"),
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _datetime(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
