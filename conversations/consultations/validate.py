"""Check a loaded consultation YAML mapping; report every problem with its line and path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from conversations.consultations.checks import Checker, Lines, Problem, is_number, language_name
from conversations.consultations.model import (
    END,
    QUESTION_TYPES,
    Consultation,
    Option,
    Question,
    QuestionType,
    Texts,
)

__all__ = ["Problem", "language_name", "validate"]

TOP_KEYS = ("id", "title", "intro", "questions", "audience", "opens_at", "closes_at", "reminders")
QUESTION_KEYS = ("id", "type", "text", "options", "optional", "min", "max", "labels", "next")
OPTION_KEYS = ("id", "text", "next")
OPTION_COUNT = {"choice": (2, 10), "multi": (2, 10)}
CALLBACK_BYTES = 64  # Telegram's limit on callback data `c:<consultation>:<question>:<option>`
BUILT_IN_BUTTONS = {"yesno": ("yes", "no"), "scale": ("1", "2", "3", "4", "5")}


def validate(
    data: Mapping[str, Any], lines: Lines, languages: Sequence[str] = ("en", "cy")
) -> tuple[Consultation | None, list[Problem]]:
    """The consultation, or None and every problem (sorted by line); never raises."""
    checker = _Walker(lines, tuple(languages))
    consultation = checker.consultation(data)
    problems = sorted(checker.problems, key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else consultation), problems


class _Walker(Checker):
    """Walks the whole consultation once, collecting problems."""

    def __init__(self, lines: Lines, languages: tuple[str, ...]) -> None:
        super().__init__(lines, languages)
        self.positions: dict[str, int] = {}  # question id -> index of its first use

    def consultation(self, data: Mapping[str, Any]) -> Consultation | None:
        if not isinstance(data, Mapping):
            self.add("", "the file should be a mapping with id, title, intro and questions")
            return None
        self.keys(data, TOP_KEYS, "")
        self.required(data, ("id", "title", "intro", "questions"), "")
        cid = self.ident(data, "")
        title, intro = self.text(data, "title", ""), self.text(data, "intro", "")
        questions = self.questions(data["questions"]) if "questions" in data else ()
        audience = self.audience(data.get("audience"))
        opens, closes = self.moment(data, "opens_at"), self.moment(data, "closes_at")
        if opens is not None and closes is not None and closes <= opens:
            self.add("closes_at", "closes_at should be after opens_at")
        reminders = self.reminders(data.get("reminders"))
        if cid is not None:
            self.callbacks(cid, questions)
        if self.problems or cid is None or title is None or intro is None or audience is None:
            return None
        return Consultation(cid, title, intro, questions, audience, opens, closes, reminders)

    def questions(self, value: object) -> tuple[Question, ...]:
        if not isinstance(value, list) or not value:
            self.add("questions", "should be a list of at least one question")
            return ()
        for i, raw in enumerate(value):
            qid = raw.get("id") if isinstance(raw, Mapping) else None
            if not isinstance(qid, str | int) or isinstance(qid, bool):
                continue
            if str(qid) in self.positions:
                first = self.where(f"questions[{self.positions[str(qid)]}].id")
                self.add(f"questions[{i}].id", f"duplicate question id '{qid}' (first {first})")
            self.positions.setdefault(str(qid), i)
        built = [self.question(raw, i) for i, raw in enumerate(value)]
        return tuple(q for q in built if q is not None)

    def question(self, raw: object, i: int) -> Question | None:
        path = f"questions[{i}]"
        if not isinstance(raw, Mapping):
            self.add(path, "should be a mapping with id, type and text")
            return None
        self.keys(raw, QUESTION_KEYS, path)
        self.required(raw, ("id", "type", "text"), path)
        qid, qtype = self.ident(raw, path), raw.get("type")
        if qid == END:
            self.add(f"{path}.id", "'end' is reserved for `next: end`")
        if "type" in raw and qtype not in QUESTION_TYPES:
            allowed = ", ".join(QUESTION_TYPES)
            self.add(f"{path}.type", f"unknown type {qtype!r}; use one of {allowed}")
        text = self.text(raw, "text", path)
        options = self.options(raw, path, i)
        optional = raw.get("optional", False)
        if not isinstance(optional, bool):
            self.add(f"{path}.optional", "should be true or false")
        low, high = self.bounds(raw, path)
        labels = self.labels(raw, path)
        after = self.next(raw.get("next"), f"{path}.next", i)
        if qid is None or text is None or qtype not in QUESTION_TYPES:
            return None
        kind = cast(QuestionType, qtype)
        return Question(qid, kind, text, options, optional is True, low, high, labels, after)

    def options(self, raw: Mapping[Any, Any], path: str, i: int) -> tuple[Option, ...]:
        qtype, value, path = raw.get("type"), raw.get("options"), f"{path}.options"
        if not isinstance(qtype, str) or qtype not in OPTION_COUNT:
            if "options" in raw and qtype in QUESTION_TYPES:
                built_in = " (Yes and No are built in)" if qtype == "yesno" else ""
                self.add(path, f"a {qtype} question has no options{built_in}")
            return ()
        least, most = OPTION_COUNT[qtype]
        if not isinstance(value, list) or not least <= len(value) <= most:
            count = f", not {len(value)}" if isinstance(value, list) else ""
            self.add(path, f"a {qtype} question needs a list of {least}-{most} options{count}")
        options: list[Option] = []
        seen: dict[str, int] = {}
        for j, item in enumerate(value if isinstance(value, list) else []):
            item_path = f"{path}[{j}]"
            if not isinstance(item, Mapping):
                self.add(item_path, "should be a mapping with id and text")
                continue
            self.keys(item, OPTION_KEYS, item_path)
            self.required(item, ("id", "text"), item_path)
            oid, text = self.ident(item, item_path), self.text(item, "text", item_path)
            if oid is not None and oid in seen:
                first = self.where(f"{path}[{seen[oid]}].id")
                self.add(f"{item_path}.id", f"duplicate option id {oid!r} (first {first})")
            after = self.next(item.get("next"), f"{item_path}.next", i)
            if oid is not None and text is not None:
                seen.setdefault(oid, j)
                options.append(Option(oid, text, after))
        return tuple(options)

    def bounds(self, raw: Mapping[Any, Any], path: str) -> tuple[float | None, float | None]:
        if raw.get("type") == "scale":
            for key in ("min", "max"):
                if key in raw:
                    self.add(f"{path}.{key}", "a scale always runs 1-5; use labels for its ends")
            return 1.0, 5.0
        found: list[float | None] = []
        for key in ("min", "max"):
            value = raw.get(key)
            found.append(float(value) if is_number(value) else None)
            if value is None:
                continue
            if raw.get("type") != "number":
                self.add(f"{path}.{key}", f"{key} only applies to number questions")
            elif not is_number(value):
                self.add(f"{path}.{key}", f"{value!r} is not a number")
        low, high = found
        if low is not None and high is not None and low > high:
            self.add(f"{path}.min", f"min {low:g} is more than max {high:g}")
        return low, high

    def labels(self, raw: Mapping[Any, Any], path: str) -> dict[str, Texts]:
        value, path = raw.get("labels"), f"{path}.labels"
        if raw.get("type") != "scale":
            if value is not None:
                self.add(path, "labels only apply to scale questions")
            return {}
        if not isinstance(value, Mapping):
            self.add(path, "a scale question needs labels.low and labels.high texts")
            return {}
        self.keys(value, ("low", "high"), path)
        self.required(value, ("low", "high"), path)
        texts = {end: self.text(value, end, path) for end in ("low", "high")}
        return {end: text for end, text in texts.items() if text is not None}

    def next(self, value: object, path: str, i: int) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(path, "should be the id of a later question, or end")
        elif value == END:
            return value
        elif value not in self.positions:
            self.add(path, f"{value!r} is not a later question: no question has that id (dangling)")
        elif self.positions[value] <= i:
            self.add(path, f"{value!r} is not a later question (next only goes forward)")
        else:
            return value
        return None

    def callbacks(self, cid: str, questions: Sequence[Question]) -> None:
        buttons = [
            f"c:{cid}:{q.id}:{button}"
            for q in questions
            for button in (
                *(o.id for o in q.options),
                *BUILT_IN_BUTTONS.get(q.type, ()),
                *(("skip",) if q.optional else ()),
                *(("done",) if q.type == "multi" else ()),
            )
        ]
        longest = max(buttons, key=len, default="")
        if len(longest.encode()) > CALLBACK_BYTES:
            self.add(
                "id",
                f"Telegram button data {longest!r} is {len(longest.encode())} bytes, over the"
                f" limit of {CALLBACK_BYTES}: shorten the consultation, question or option ids",
            )
