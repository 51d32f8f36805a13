"""The dashboard's consultation form: whatever is typed, the validator judges it, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from admin.consultation_form import (
    FormFields,
    QuestionFields,
    from_consultation,
    read_form,
    slug,
    to_data,
)
from conversations.consultations.checks import ID
from conversations.consultations.validate import validate

TZ = "Europe/London"
words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
sentences = st.text(alphabet="abcdefghij ŵŷâ'?", min_size=1, max_size=30).filter(str.strip)


def no_lines(_path: str) -> None:
    return None


@given(st.dictionaries(st.sampled_from([
    "count", "cid", "title_en", "title_cy", "intro_en", "community", "audience_language",
    "age_min", "age_max", "closes_at", "reminders", "q1_type", "q1_text_en", "q1_options_en",
    "q1_options_cy", "q1_min", "q1_max", "q2_type", "q2_text_cy", "q2_optional",
]), words))  # fmt: skip
@settings(max_examples=200)
def test_any_typing_is_read_and_judged_without_a_crash(posted: dict[str, str]) -> None:
    form = read_form(posted)
    assert 1 <= len(form.questions) <= 30
    consultation, problems = validate(to_data(form, TZ), no_lines, ("cy", "en"))
    assert (consultation is None) == bool(problems)


@st.composite
def filled_forms(draw: st.DrawFn) -> FormFields:
    def question(n: int) -> QuestionFields:
        kind = draw(st.sampled_from(["choice", "multi", "scale", "yesno", "number", "text"]))
        q = QuestionFields(type=kind, text_en=draw(sentences), text_cy=draw(sentences))
        if kind in ("choice", "multi"):
            count = draw(st.integers(2, 5))
            q.options_en = "\n".join(f"Option {i} {draw(sentences)}" for i in range(count))
            q.options_cy = "\n".join(f"Dewis {i}" for i in range(count))
        if kind == "scale":
            q.low_en, q.low_cy, q.high_en, q.high_cy = (draw(sentences) for _ in range(4))
        if kind == "number":
            q.min, q.max = "0", str(draw(st.integers(1, 20)))
        q.optional = draw(st.sampled_from(["", "on"]))
        return q

    ages = draw(st.sampled_from([("", ""), ("0", "60"), ("12", "36")]))
    return FormFields(
        cid=draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)),
        title_en=draw(sentences),
        title_cy=draw(sentences),
        intro_en=draw(sentences),
        intro_cy=draw(sentences),
        community="bettws",
        age_min=ages[0],
        age_max=ages[1],
        reminders=draw(st.sampled_from(["", "2", "2, 5"])),
        closes_at=draw(st.sampled_from(["", "2027-07-01T17:00", "2027-01-10T09:30"])),
        questions=[question(n) for n in range(draw(st.integers(1, 4)))],
    )


@given(filled_forms())
@settings(max_examples=100)
def test_a_filled_form_saves_and_reopens_as_the_same_consultation(form: FormFields) -> None:
    consultation, problems = validate(to_data(form, TZ), no_lines, ("cy", "en"))
    assert consultation is not None, problems
    assert consultation.languages() == ("en", "cy")
    reopened = from_consultation(consultation, TZ)
    again, problems = validate(to_data(reopened, TZ), no_lines, ("cy", "en"))
    assert again == consultation, problems


def test_missing_welsh_is_named_for_a_welsh_community() -> None:
    form = FormFields(cid="x", title_en="T", intro_en="I", community="bettws")
    form.questions = [QuestionFields(type="yesno", text_en="Q?")]
    _, problems = validate(to_data(form, TZ), no_lines, ("cy", "en"))
    assert {p.path for p in problems} == {"title", "intro", "questions[0].text"}
    assert all("Welsh (cy)" in p.message for p in problems)


@given(words)
def test_option_ids_are_valid_ids_or_empty(text: str) -> None:
    made = slug(text)
    assert made == "" or ID.fullmatch(made)
