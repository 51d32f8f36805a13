"""A consultation's answers as CSV: one row per respondent, under a code made fresh each time.

One GROUP BY statement pivots the answers (one MAX(CASE …) column per question) for every real
respondent; the rows are then written under random codes, in the order of those codes, so
neither the codes nor the row order of two exports can be used to join them.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass

from sqlalchemy import String, and_, case, func, literal, select
from sqlalchemy.orm import Session

from conversations.consultations.model import Consultation, Question, Texts
from storage.consultation_models import Consultation as ConsultationRow
from storage.consultation_models import ConsultationAnswer, ConsultationInvite
from storage.models import Contact

FIXED_COLUMNS = ("respondent", "community", "language", "channel", "age_band")
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L, U: read aloud safely
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these


@dataclass(frozen=True)
class ResponsesCsv:
    """The file (UTF-8 with a byte order mark, for Excel) and how many respondents it holds."""

    content: bytes
    rows: int


def fresh_code(taken: set[str]) -> str:
    """A random respondent code (R-XXXXXXXX) not yet used in this export."""
    while True:
        code = "R-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            return code


def responses_csv(session: Session, consultation_id: str) -> ResponsesCsv:
    """Every real respondent's answers (KeyError if there is no such consultation)."""
    row = session.get(ConsultationRow, consultation_id)
    if row is None:
        raise KeyError(consultation_id)
    consultation = Consultation.from_json(row.definition)
    answer, invite = ConsultationAnswer, ConsultationInvite
    columns = [
        func.max(
            case(
                (and_(answer.question_id == q.id, answer.skipped.is_(False)), answer.value),
                else_=None,
            )
        ).label(f"q{index}")
        for index, q in enumerate(consultation.questions)
    ]
    unknown = literal("", String)
    statement = (
        select(
            func.coalesce(func.max(invite.community_id), func.max(Contact.community_id)),
            func.coalesce(func.max(invite.language), unknown),
            func.coalesce(func.max(invite.channel), func.max(answer.channel)),
            func.coalesce(func.max(invite.age_band), unknown),
            *columns,
        )
        .select_from(answer)
        .join(Contact, Contact.id == answer.contact_id)
        .outerjoin(
            invite,
            and_(
                invite.consultation_id == answer.consultation_id,
                invite.contact_id == answer.contact_id,
            ),
        )
        .where(answer.consultation_id == consultation_id, Contact.is_simulated.is_(False))
        .group_by(answer.contact_id)
    )
    taken: set[str] = set()
    lines = []
    for found in session.execute(statement):
        fixed = [str(value or "") for value in found[:4]]
        values = [
            _cell(_answer_text(q, value))
            for q, value in zip(consultation.questions, found[4:], strict=True)
        ]
        lines.append([fresh_code(taken), *fixed, *values])
    lines.sort(key=lambda line: line[0])  # random codes: the row order means nothing
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIXED_COLUMNS, *(q.id for q in consultation.questions)])
    writer.writerows(lines)
    return ResponsesCsv(out.getvalue().encode("utf-8-sig"), len(lines))


def _answer_text(question: Question, value: str | None) -> str:
    """An answer as a reader wants it: option texts in English, yes/no as words; else as given."""
    if value is None:
        return ""
    if question.type in ("choice", "multi"):
        texts = {o.id: _english(o.text) for o in question.options}
        return "; ".join(texts.get(part, part) for part in value.split(",") if part)
    if question.type == "yesno":
        return {"yes": "Yes", "no": "No"}.get(value, value)
    return value


def _cell(text: str) -> str:
    """Free text that a spreadsheet would take for a formula is kept as text."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _english(texts: Texts) -> str:
    return texts.get("en") or next(iter(texts.values()), "")
