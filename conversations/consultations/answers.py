"""Reading a parent's reply to one consultation question: buttons and typed text, per type."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

from conversations.consultations.model import Consultation, Question
from conversations.parsing.dates import parse_date
from conversations.parsing.options import Option, match_option, match_options, yes_no
from conversations.parsing.text import fold, strip_noise

PREFIX = "c"
SKIP = "skip"
DONE = "done"
YES, NO = "yes", "no"
SCALE = tuple(str(n) for n in range(1, 6))
SKIP_WORDS = frozenset(
    {
        *("skip", "skip it", "skip this", "skip this one", "skip this question", "skip please"),
        *("hepgor", "hepgor hwn", "hepgor hyn", "sgip", "sgipio"),
    }
)
ZERO_WORDS = frozenset({"0", "zero", "none", "nil", "nought", "nothing", "dim", "dim un", "sero"})
MAX_DIGITS = 12
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<sign>[-\u2212\u2013]?)(?P<n>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?![\w.,]\d|\w)"
)
_ONE_TO_TEN = tuple(Option(str(n), (str(n),)) for n in range(1, 11))


class Miss(StrEnum):
    """Why a reply could not be used."""

    UNCLEAR = "unclear"
    TOO_LOW = "too_low"
    TOO_HIGH = "too_high"
    NONE_CHOSEN = "none_chosen"  # Done pressed before choosing anything


@dataclass(frozen=True, slots=True)
class Parsed:
    """An answer to record: its stored value (None: skipped) and the option ids chosen."""

    value: str | None
    option_ids: tuple[str, ...] = ()


SKIPPED = Parsed(None)


def button_id(cid: str, qid: str, value: str) -> str:
    """A Telegram button's data: `c:{consultation}:{question}:{value}` (ids contain no colon)."""
    return f"{PREFIX}:{cid}:{qid}:{value}"


def read_button(choice_id: str) -> tuple[str, str, str] | None:
    """(consultation id, question id, value) from a consultation button's data, or None."""
    parts = choice_id.split(":")
    if len(parts) != 4 or parts[0] != PREFIX or not all(parts[1:]):
        return None
    return parts[1], parts[2], parts[3]


def is_skip(text: str) -> bool:
    """Whether a typed reply asks to skip the question ("SKIP", "hepgor", "skip this one")."""
    return len(text) <= 100 and strip_noise(fold(text)) in SKIP_WORDS


def option_labels(question: Question) -> tuple[Option, ...]:
    """The question's options, each known by its texts in every language."""
    return tuple(Option(o.id, tuple(o.text.values())) for o in question.options)


def button_value(question: Question, value: str) -> Parsed | None:
    """The answer a pressed button for this question gives, or None if it is not one of its."""
    if question.type == "choice" and value in {o.id for o in question.options}:
        return Parsed(value, (value,))
    if question.type == "scale" and value in SCALE:
        return Parsed(value)
    if question.type == "yesno" and value in (YES, NO):
        return Parsed(value)
    return None


def read_press(
    question: Question, value: str, picked: Sequence[str], skippable: bool
) -> Parsed | Miss | list[str] | None:
    """What pressing this question's button `value` does: an answer, a miss, the multi
    choices picked after a toggle, or None when the question has no such button (stale)."""
    if value == SKIP:
        return SKIPPED if skippable else None
    if question.type != "multi":
        return button_value(question, value)
    if value == DONE:
        ordered = tuple(o.id for o in question.options if o.id in picked)
        return Parsed(",".join(ordered), ordered) if ordered else Miss.NONE_CHOSEN
    if value not in {o.id for o in question.options}:
        return None
    return [p for p in picked if p != value] if value in picked else [*picked, value]


def path_lengths(consultation: Consultation) -> tuple[int, int]:
    """The fewest and most questions a parent can be asked, following the skip logic."""
    lengths: dict[str, tuple[int, int]] = {}
    for question in reversed(consultation.questions):
        picks: list[tuple[str, ...]] = [(), *((o.id,) for o in question.options)]
        after = [consultation.next_after(question, p) for p in picks]
        spans = [lengths[q.id] if q is not None else (0, 0) for q in after]
        lengths[question.id] = (1 + min(s[0] for s in spans), 1 + max(s[1] for s in spans))
    return lengths[consultation.first().id]


def read_text(
    question: Question,
    text: str,
    today: date,
    yes_no_labels: Mapping[str, Sequence[str]] | None = None,
) -> Parsed | Miss:
    """The answer a typed reply gives to `question`, or why it cannot be used.

    `yes_no_labels` holds the translated Yes and No labels shown on buttons, by "yes"/"no".
    Skip words are the caller's business: they depend on what has been offered.
    """
    if question.type == "text":
        return Parsed(text) if text.strip() else Miss.UNCLEAR
    if question.type == "choice":
        return _choice(question, text)
    if question.type == "multi":
        picked = match_options(text, option_labels(question))
        return Parsed(",".join(picked), picked) if picked else Miss.UNCLEAR
    if question.type == "scale":
        return _scale(question, text)
    if question.type == "yesno":
        return _yes_no(text, yes_no_labels or {})
    if question.type == "number":
        return _number(question, text)
    parsed = parse_date(text, today)
    if parsed is None:
        return Miss.UNCLEAR
    value = parsed.value
    return Parsed(value.isoformat() if parsed.precision == "day" else f"{value:%Y-%m}")


def _choice(question: Question, text: str) -> Parsed | Miss:
    picked = match_option(text, option_labels(question))
    if picked is None:
        # "ie" to options "Ydw" / "Nac ydw": any yes or no word picks the one option meaning it.
        verdict = yes_no(text)
        meaning = [
            o.id
            for o in question.options
            if verdict is not None and any(yes_no(label) is verdict for label in o.text.values())
        ]
        picked = meaning[0] if len(meaning) == 1 else None
    return Miss.UNCLEAR if picked is None else Parsed(picked, (picked,))


def _scale(question: Question, text: str) -> Parsed | Miss:
    ends = {"1": question.labels.get("low", {}), "5": question.labels.get("high", {})}
    options = [Option(n, tuple(ends.get(n, {}).values())) for n in SCALE]
    picked = match_option(text, options)
    return Miss.UNCLEAR if picked is None else Parsed(picked)


def _yes_no(text: str, labels: Mapping[str, Sequence[str]]) -> Parsed | Miss:
    options = [Option(YES, tuple(labels.get(YES, ()))), Option(NO, tuple(labels.get(NO, ())))]
    picked = match_option(text, options)
    if picked is None:
        verdict = yes_no(text)
        picked = None if verdict is None else (YES if verdict else NO)
    return Miss.UNCLEAR if picked is None else Parsed(picked)


def read_number(text: str) -> Decimal | None:
    """The one number in a reply such as "3", " 3 children", "2.5", "three" or "dim"."""
    if len(text) > 200:
        return None
    folded = fold(text)
    if strip_noise(folded) in ZERO_WORDS:
        return Decimal(0)
    found = list(_NUMBER.finditer(folded))
    if len(found) == 1:
        match = found[0]
        digits = match.group("n").replace(",", "")
        if len(digits) > MAX_DIGITS:
            return None
        try:
            value = Decimal(digits + (match.group("frac") or ""))
        except InvalidOperation:
            return None
        return -value if match.group("sign") else value
    if found:
        return None
    words = [w for w in re.split(r"[^\w]+", folded) if w]
    numbers = [n for n in map(_one_to_ten, words) if n is not None]
    return Decimal(numbers[0]) if len(numbers) == 1 else None


@lru_cache(maxsize=4096)  # one word, read against the same ten options every time
def _one_to_ten(word: str) -> str | None:
    return match_option(word, _ONE_TO_TEN)


def canonical(value: Decimal) -> str:
    """A number as stored: "3", "2.5", "-1" (no exponent, no trailing zeros)."""
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _number(question: Question, text: str) -> Parsed | Miss:
    value = read_number(text)
    if value is None:
        return Miss.UNCLEAR
    if question.min is not None and value < Decimal(str(question.min)):
        return Miss.TOO_LOW
    if question.max is not None and value > Decimal(str(question.max)):
        return Miss.TOO_HIGH
    return Parsed(canonical(value))
