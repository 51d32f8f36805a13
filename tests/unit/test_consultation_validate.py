"""Consultation YAML validation: every rule, with the exact line, through bot/consultation_yaml.

In the snippets, `#!` marks each line a problem must point at.
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.consultation_yaml import load, load_text
from conversations.consultations.model import Consultation
from conversations.consultations.validate import Problem, validate

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "consultations"
HEAD = """\
id: poll
title: {en: Title, cy: Teitl}
intro: {en: Hello, cy: Helo}
"""
CHOICE = """\
questions:
  - id: q1
    type: choice
    text: {en: Pick one, cy: Dewiswch un}
    options:
      - {id: a, text: {en: A, cy: A}}
      - {id: b, text: {en: B, cy: B}}
"""
Found = list[tuple[int | None, str, str]]


def _load(tmp_path: Path, text: str) -> tuple[Consultation | None, Found]:
    path = tmp_path / "consultation.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    consultation, problems = load(path)
    assert (consultation is None) == bool(problems)
    return consultation, [(p.line, p.path, p.message) for p in problems]


def _problems(tmp_path: Path, text: str) -> Found:
    return _load(tmp_path, text)[1]


def _marks(text: str) -> list[int]:
    lines = textwrap.dedent(text).splitlines()
    return [n for n, line in enumerate(lines, start=1) if "#!" in line]


def _question(body: str) -> str:
    """HEAD + one question whose lines (after `- `) are `body`."""
    indented = textwrap.indent(textwrap.dedent(body), "    ")
    return HEAD + "questions:\n  - " + indented[4:]


def test_a_minimal_consultation_is_valid(tmp_path: Path) -> None:
    consultation, problems = _load(tmp_path, HEAD + CHOICE)
    assert problems == []
    assert consultation is not None
    assert consultation.id == "poll" and consultation.first().options[1].id == "b"


def test_missing_required_keys(tmp_path: Path) -> None:
    text = "# a comment\nid: poll\nintro: {en: Hello, cy: Helo}\n"
    assert _problems(tmp_path, text) == [
        (2, "title", "missing required key 'title'"),
        (2, "questions", "missing required key 'questions'"),
    ]
    text = _question("id: q1\n")
    assert _problems(tmp_path, text) == [
        (5, "questions[0].type", "missing required key 'type'"),
        (5, "questions[0].text", "missing required key 'text'"),
    ]


def test_unknown_keys_at_every_level(tmp_path: Path) -> None:
    text = HEAD + textwrap.dedent("""\
        colour: green  #!
        audience:
          comunity: bettws  #!
        questions:
          - id: q1
            type: scale
            txt: {en: Rate, cy: Sgoriwch}  #!
            text: {en: Rate, cy: Sgoriwch}
            labels:
              low: {en: Bad, cy: Gwael}
              high: {en: Good, cy: Da}
              middle: {en: OK, cy: Iawn}  #!
          - id: q2
            type: choice
            text: {en: Pick, cy: Dewis}
            options:
              - {id: a, text: {en: A, cy: A}}
              - id: b
                text: {en: B, cy: B}
                skip: q1  #!
        """)
    found = _problems(tmp_path, text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [(path, message) for _, path, message in found] == [
        ("colour", "unknown key 'colour'"),
        ("audience.comunity", "unknown key 'comunity'; did you mean 'community'?"),
        ("questions[0].txt", "unknown key 'txt'; did you mean 'text'?"),
        ("questions[0].labels.middle", "unknown key 'middle'"),
        ("questions[1].options[1].skip", "unknown key 'skip'"),
    ]


@pytest.mark.parametrize("bad", ["Poll", "my poll", "café", "-poll", "x" * 49, "''", "true"])
def test_id_format(tmp_path: Path, bad: str) -> None:
    found = _problems(tmp_path, f"id: {bad}\n" + HEAD.split("\n", 1)[1] + CHOICE)
    assert len(found) == 1
    assert found[0][:2] == (1, "id")
    assert "is not a valid id: use 1-48 lower-case letters" in found[0][2]


def test_ids_of_questions_and_options_and_whole_numbers(tmp_path: Path) -> None:
    text = HEAD + CHOICE.replace("id: q1", "id: Q 1").replace("id: b,", "id: 2,")
    found = _problems(tmp_path, text)
    assert [(line, path) for line, path, _ in found] == [(5, "questions[0].id")]


def test_telegram_callback_data_stays_within_64_bytes(tmp_path: Path) -> None:
    fits = "c" * 20  # c:<20>:<q1>:<a> is far below the limit
    long_q = "q" * 40
    assert _problems(tmp_path, HEAD.replace("poll", fits) + CHOICE) == []
    text = HEAD.replace("poll", "p" * 20) + CHOICE.replace("q1", long_q)
    data = f"c:{'p' * 20}:{long_q}:a"
    assert len(data) == 65
    assert _problems(tmp_path, text) == [
        (
            1,
            "id",
            f"Telegram button data {data!r} is 65 bytes, over the limit of 64: shorten the"
            " consultation, question or option ids",
        )
    ]


def test_optional_and_multi_questions_reserve_skip_and_done_buttons(tmp_path: Path) -> None:
    text = HEAD.replace("poll", "p" * 20) + CHOICE.replace("q1", "q" * 38)
    assert _problems(tmp_path, text) == []  # c:<20>:<38>:a is 63 bytes
    found = _problems(tmp_path, text.replace("type: choice", "type: multi"))
    assert "'c:" + "p" * 20 + ":" + "q" * 38 + ":done' is 66 bytes" in found[0][2]


def test_question_ids_are_unique(tmp_path: Path) -> None:
    text = HEAD + CHOICE + CHOICE.split("\n", 1)[1]
    assert _problems(tmp_path, text) == [
        (11, "questions[1].id", "duplicate question id 'q1' (first on line 5)")
    ]


def test_option_ids_are_unique_within_a_question(tmp_path: Path) -> None:
    text = HEAD + CHOICE.replace("id: b,", "id: a,")
    assert _problems(tmp_path, text) == [
        (10, "questions[0].options[1].id", "duplicate option id 'a' (first on line 9)")
    ]


def test_types_are_from_the_allowed_set(tmp_path: Path) -> None:
    text = _question("id: q1\ntype: ranking\ntext: {en: Rank, cy: Trefnwch}\n")
    assert _problems(tmp_path, text) == [
        (
            6,
            "questions[0].type",
            "unknown type 'ranking'; use one of choice, multi, scale, yesno, number, text, date",
        )
    ]


@pytest.mark.parametrize(("kind", "count"), [("choice", 1), ("choice", 11), ("multi", 1)])
def test_choice_and_multi_need_2_to_10_options(tmp_path: Path, kind: str, count: int) -> None:
    options = "".join(f"  - {{id: o{n}, text: {{en: O, cy: O}}}}\n" for n in range(count))
    text = _question(f"id: q1\ntype: {kind}\ntext: {{en: Pick, cy: Dewis}}\noptions:\n{options}")
    message = f"a {kind} question needs a list of 2-10 options, not {count}"
    assert _problems(tmp_path, text) == [(8, "questions[0].options", message)]


def test_choice_without_options(tmp_path: Path) -> None:
    text = _question("id: q1\ntype: choice\ntext: {en: Pick, cy: Dewis}\n")
    message = "a choice question needs a list of 2-10 options"
    assert _problems(tmp_path, text) == [(5, "questions[0].options", message)]


@pytest.mark.parametrize("kind", ["yesno", "number", "text", "date"])
def test_other_types_have_no_options(tmp_path: Path, kind: str) -> None:
    text = HEAD + CHOICE.replace("type: choice", f"type: {kind}")
    message = f"a {kind} question has no options"
    message += " (Yes and No are built in)" if kind == "yesno" else ""
    assert _problems(tmp_path, text) == [(8, "questions[0].options", message)]


def test_a_scale_needs_low_and_high_labels_and_has_no_min_or_max(tmp_path: Path) -> None:
    text = _question("id: q1\ntype: scale\ntext: {en: Rate, cy: Sgoriwch}\n")
    message = "a scale question needs labels.low and labels.high texts"
    assert _problems(tmp_path, text) == [(5, "questions[0].labels", message)]
    body = """\
        id: q1
        type: scale
        text: {en: Rate, cy: Sgoriwch}
        min: 0
        labels:
          low: {en: Bad, cy: Gwael}
        """
    assert _problems(tmp_path, _question(body)) == [
        (8, "questions[0].min", "a scale always runs 1-5; use labels for its ends"),
        (9, "questions[0].labels.high", "missing required key 'high'"),
    ]


def test_a_valid_scale_runs_from_1_to_5(tmp_path: Path) -> None:
    body = """\
        id: q1
        type: scale
        text: {en: Rate, cy: Sgoriwch}
        labels: {low: {en: Bad, cy: Gwael}, high: {en: Good, cy: Da}}
        """
    consultation, problems = _load(tmp_path, _question(body))
    assert problems == [] and consultation is not None
    question = consultation.first()
    assert (question.min, question.max, question.labels["high"]["cy"]) == (1, 5, "Da")


def test_number_bounds(tmp_path: Path) -> None:
    body = "id: q1\ntype: number\ntext: {en: 'How many?', cy: 'Faint?'}\nmin: 0\nmax: 10\n"
    consultation, problems = _load(tmp_path, _question(body))
    assert problems == [] and consultation is not None
    assert (consultation.first().min, consultation.first().max) == (0, 10)
    swapped = body.replace("min: 0", "min: 12")
    assert _problems(tmp_path, _question(swapped)) == [
        (8, "questions[0].min", "min 12 is more than max 10")
    ]
    words = body.replace("max: 10", "max: ten")
    assert _problems(tmp_path, _question(words)) == [
        (9, "questions[0].max", "'ten' is not a number")
    ]
    on_text = body.replace("type: number", "type: text")
    assert [p[1:] for p in _problems(tmp_path, _question(on_text))] == [
        ("questions[0].min", "min only applies to number questions"),
        ("questions[0].max", "max only applies to number questions"),
    ]


def test_labels_only_on_scales(tmp_path: Path) -> None:
    body = "id: q1\ntype: text\ntext: {en: Say, cy: Dwedwch}\nlabels: {}\n"
    message = "labels only apply to scale questions"
    assert _problems(tmp_path, _question(body)) == [(8, "questions[0].labels", message)]


def test_optional_is_true_or_false(tmp_path: Path) -> None:
    body = "id: q1\ntype: text\ntext: {en: Say, cy: Dwedwch}\noptional: perhaps\n"
    assert _problems(tmp_path, _question(body)) == [
        (8, "questions[0].optional", "should be true or false")
    ]
    consultation, _ = _load(tmp_path, _question(body.replace("perhaps", "true")))
    assert consultation is not None and consultation.first().optional


def test_texts_are_mappings_with_every_language(tmp_path: Path) -> None:
    text = textwrap.dedent("""\
        id: poll
        title: Just English  #!
        intro:  #!
          cy: Helo
        questions:
          - id: q1
            type: choice
            text: {en: Pick, cy: ''}  #!
            options:
              - {id: a, text: {en: A}}  #!
              - {id: b, text: {en: B, cy: B, fr: 7}}  #!
        """)
    found = _problems(tmp_path, text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [(path, message) for _, path, message in found] == [
        ("title", "should be a mapping of language to text, like {en: ..., cy: ...}"),
        ("intro", "missing English (en) text"),
        ("questions[0].text.cy", "the 'cy' text should be non-empty text"),
        ("questions[0].options[0].text", "missing Welsh (cy) text"),
        ("questions[0].options[1].text.fr", "the 'fr' text should be non-empty text"),
    ]


def test_other_languages_can_be_required(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(HEAD + CHOICE, encoding="utf-8")
    consultation, problems = load(path, languages=("en",))
    assert problems == [] and consultation is not None
    _, problems = load(path, languages=("en", "cy", "pl"))
    assert {str(p) for p in problems} == {
        "line 2 (title): missing Polish (pl) text",
        "line 3 (intro): missing Polish (pl) text",
        "line 7 (questions[0].text): missing Polish (pl) text",
        "line 9 (questions[0].options[0].text): missing Polish (pl) text",
        "line 10 (questions[0].options[1].text): missing Polish (pl) text",
    }


def test_next_names_a_later_question_or_end(tmp_path: Path) -> None:
    text = HEAD + textwrap.dedent("""\
        questions:
          - id: q1
            type: choice
            text: {en: Pick, cy: Dewis}
            options:
              - {id: a, text: {en: A, cy: A}, next: q3}
              - {id: b, text: {en: B, cy: B}, next: end}
              - {id: c, text: {en: C, cy: C}, next: q1}  #!
              - {id: d, text: {en: D, cy: D}, next: q9}  #!
              - {id: e, text: {en: E, cy: E}, next: [q2]}  #!
            next: q2
          - id: q2
            type: text
            text: {en: Say, cy: Dwedwch}
            next: q1  #!
          - id: q3
            type: yesno
            text: {en: "OK?", cy: "Iawn?"}
            next: q3  #!
        """)
    found = _problems(tmp_path, text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [(path, message) for _, path, message in found] == [
        ("questions[0].options[2].next", "'q1' is not a later question (next only goes forward)"),
        (
            "questions[0].options[3].next",
            "'q9' is not a later question: no question has that id (dangling)",
        ),
        ("questions[0].options[4].next", "should be the id of a later question, or end"),
        ("questions[1].next", "'q1' is not a later question (next only goes forward)"),
        ("questions[2].next", "'q3' is not a later question (next only goes forward)"),
    ]
    assert str(Problem(12, "questions[0].options[3].next", "'q9' is not a later question")) == (
        "line 12 (questions[0].options[3].next): 'q9' is not a later question"
    )


def test_end_is_not_a_question_id(tmp_path: Path) -> None:
    found = _problems(tmp_path, HEAD + CHOICE.replace("id: q1", "id: end"))
    assert found == [(5, "questions[0].id", "'end' is reserved for `next: end`")]


def test_audience(tmp_path: Path) -> None:
    good = "audience: {community: bettws, language: cy, channel: sms, child_age_months: [0, 60]}\n"
    consultation, problems = _load(tmp_path, HEAD + good + CHOICE)
    assert problems == [] and consultation is not None
    assert consultation.audience.child_age_months == (0, 60)
    text = (
        HEAD
        + textwrap.dedent("""\
        audience:
          community: Bettws Estate  #!
          language: fr  #!
          channel: whatsapp  #!
          child_age_months: [24, 12]  #!
        """)
        + CHOICE
    )
    found = _problems(tmp_path, text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [message for _, _, message in found] == [
        "'Bettws Estate' is not a community id like bettws",
        "'fr' is not one of en, cy",
        "'whatsapp' is not one of sms, telegram",
        "[24, 12] should have 0 <= min <= max <= 72",
    ]


@pytest.mark.parametrize(
    ("ages", "message"),
    [
        ("[0, 73]", "[0, 73] should have 0 <= min <= max <= 72"),
        ("[-1, 10]", "[-1, 10] should have 0 <= min <= max <= 72"),
        ("[0]", "should be [min, max] in months, like [0, 60]"),
        ("[0, 1.5]", "should be [min, max] in months, like [0, 60]"),
        ("12", "should be [min, max] in months, like [0, 60]"),
    ],
)
def test_child_age_months(tmp_path: Path, ages: str, message: str) -> None:
    text = HEAD + f"audience:\n  child_age_months: {ages}\n" + CHOICE
    assert _problems(tmp_path, text) == [(5, "audience.child_age_months", message)]


def test_audience_must_be_a_mapping(tmp_path: Path) -> None:
    found = _problems(tmp_path, HEAD + "audience: everyone\n" + CHOICE)
    message = "should be a mapping with community, language, channel, child_age_months"
    assert found == [(4, "audience", message)]


def test_dates_need_an_offset_and_close_after_opening(tmp_path: Path) -> None:
    good = "opens_at: 2027-03-01T09:00:00Z\ncloses_at: '2027-03-31T17:00:00+01:00'\n"
    consultation, problems = _load(tmp_path, HEAD + good + CHOICE)
    assert problems == [] and consultation is not None
    assert consultation.opens_at == datetime(2027, 3, 1, 9, tzinfo=UTC)
    assert consultation.closes_at == datetime(2027, 3, 31, 17, tzinfo=timezone(timedelta(hours=1)))
    example = "like 2027-03-01T09:00:00+00:00"
    cases = {
        "opens_at: 2027-03-01 09:00:00": f"needs a UTC offset (+01:00, or Z for UTC), {example}",
        "opens_at: 2027-03-01": f"needs a time and a UTC offset, {example}",
        "opens_at: next tuesday": f"'next tuesday' is not an ISO 8601 date and time, {example}",
        "opens_at: 20270301": f"should be a date and time, {example}",
        "opens_at: 2027-02-30T09:00:00Z": "'2027-02-30T09:00:00Z' is not a real date: "
        "day is out of range for month",
    }
    for line, message in cases.items():
        assert _problems(tmp_path, HEAD + line + "\n" + CHOICE) == [(4, "opens_at", message)]
    backwards = "opens_at: 2027-03-02T09:00:00Z\ncloses_at: 2027-03-02T10:00:00+01:00\n"
    assert _problems(tmp_path, HEAD + backwards + CHOICE) == [
        (5, "closes_at", "closes_at should be after opens_at")
    ]


def test_reminders(tmp_path: Path) -> None:
    consultation, problems = _load(tmp_path, HEAD + "reminders: [P2D, PT6H]\n" + CHOICE)
    assert problems == [] and consultation is not None
    assert consultation.reminders == (timedelta(days=2), timedelta(hours=6))
    text = (
        HEAD
        + textwrap.dedent("""\
        reminders:  #!
          - P1D
          - PT0S  #!
          - tomorrow  #!
        """)
        + CHOICE
    )
    found = _problems(tmp_path, text)
    assert [line for line, _, _ in found] == _marks(text)
    assert [message for _, _, message in found] == [
        "at most 2 reminders, not 3",
        "'PT0S' should be longer than zero",
        "'tomorrow' is not an ISO 8601 duration like P2D or PT6H",
    ]
    assert _problems(tmp_path, HEAD + "reminders: P2D\n" + CHOICE) == [
        (4, "reminders", "should be a list of ISO 8601 durations, like [P2D, P5D]")
    ]


def test_yaml_syntax_errors_have_their_line(tmp_path: Path) -> None:
    text = HEAD + "questions:\n  - id: q1\n    text: {en: Pick?, cy: Dewis?}\n"
    found = _problems(tmp_path, text)
    assert found == [
        (
            6,
            "",
            "invalid YAML: while parsing a flow mapping, expected ',' or '}', but got '?'"
            " (inside { } or [ ], put text with ? , : or # in quotes)",
        )
    ]
    found = _problems(tmp_path, HEAD + "questions:\n  - id: q1\n bad: indent\n")
    assert found[0][0] == 6


def test_duplicate_keys_are_problems(tmp_path: Path) -> None:
    text = HEAD + "id: other\n" + CHOICE.replace("type: choice", "type: choice\n    type: multi")
    assert _problems(tmp_path, text) == [
        (4, "id", "duplicate key 'id' (first on line 1)"),
        (8, "questions[0].type", "duplicate key 'type' (first on line 7)"),
    ]


@pytest.mark.parametrize("text", ["", "# nothing\n", "- a list\n", "just text\n"])
def test_the_file_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    message = "the file should be a mapping with id, title, intro and questions"
    assert [p[1:] for p in _problems(tmp_path, text)] == [("", message)]


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.yaml")


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9\n".encode("latin-1"))
    _, problems = load(path)
    assert [str(p) for p in problems] == ["latin1.yaml is not UTF-8 (byte 11)"]


def test_the_play_park_example_is_valid() -> None:
    consultation, problems = load(EXAMPLES / "play-park.yaml")
    assert problems == []
    assert consultation is not None
    assert consultation.languages() == ("en", "cy")
    assert [q.type for q in consultation.questions] == [
        "choice", "choice", "choice", "multi", "scale", "number", "text", "yesno"
    ]  # fmt: skip
    assert consultation.audience.community == "bettws"
    assert consultation.audience.child_age_months == (0, 60)
    assert consultation.closes_at is not None and consultation.closes_at.year == 2027
    assert consultation.reminders == (timedelta(days=2), timedelta(days=5))
    uses = consultation.first()
    assert consultation.next_after(uses, ["yes"]) == consultation.question("how-often")
    assert consultation.next_after(uses, ["no"]) == consultation.question("why-not")
    how_often = consultation.question("how-often")
    assert consultation.next_after(how_often, ["weekly"]) == consultation.question("help")


def test_the_invalid_example_reports_each_error_on_its_line() -> None:
    consultation, problems = load(EXAMPLES / "invalid.yaml")
    assert consultation is None
    assert [(p.line, p.path) for p in problems] == [
        (2, "id"),
        (3, "title"),
        (8, "colour"),
        (11, "audience.channel"),
        (12, "audience.child_age_months"),
        (14, "closes_at"),
        (15, "reminders"),
        (15, "reminders[1]"),
        (23, "questions[0].options[0].next"),
        (26, "questions[0].options[1].next"),
        (30, "questions[1].options"),
        (33, "questions[2].labels"),
        (39, "questions[3].min"),
        (41, "questions[3].max"),
        (45, "questions[4].options"),
        (48, "questions[5].id"),
        (50, "questions[5].optinal"),
    ]
    assert str(problems[1]) == "line 3 (title): missing Welsh (cy) text"
    assert str(problems[13]) == "line 41 (questions[3].max): duplicate key 'max' (first on line 40)"


KEYS = st.sampled_from(
    [
        "id", "title", "intro", "questions", "audience", "opens_at", "closes_at", "reminders",
        "type", "text", "options", "optional", "min", "max", "labels", "next", "low", "high",
        "en", "cy", "community", "language", "channel", "child_age_months",
    ]
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["choice", "multi", "scale", "yesno", "q1", "end", "P2D", "sms", "en"])
    | st.datetimes(timezones=st.none() | st.just(UTC))
    | st.dates()
)
DATA: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(KEYS | st.text(max_size=4) | st.integers(), inner, max_size=6)
    ),
    max_leaves=40,
)


def _no_lines(path: str) -> int | None:
    return None


def _fake_lines(path: str) -> int | None:
    return len(path) + 1 if path.count(".") % 2 else None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, DATA, max_size=8), st.booleans())
def test_validate_never_raises(data: dict[str, Any], with_lines: bool) -> None:
    lines = _fake_lines if with_lines else _no_lines
    consultation, problems = validate(data, lines)
    assert (consultation is None) == bool(problems)
    assert all(isinstance(p, Problem) and str(p) for p in problems)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab:- \n[]{}&*!?'\"#0\t") | st.characters(), max_size=60))
def test_loading_any_text_never_raises(text: str) -> None:
    consultation, problems = load_text(HEAD + CHOICE + text)
    assert (consultation is None) == bool(problems)


def _example_data() -> dict[str, Any]:
    import yaml  # only the tests and bot/ read YAML

    loaded: dict[str, Any] = yaml.safe_load((EXAMPLES / "play-park.yaml").read_text("utf-8"))
    return loaded


def _nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict | list):
        children = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in children:
            found += _nodes(child, (*path, key))
    return found


EXAMPLE_NODES = _nodes(_example_data())[1:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(EXAMPLE_NODES), DATA)
def test_validate_never_raises_on_a_mutated_example(where: tuple[Any, ...], value: Any) -> None:
    data = _example_data()
    holder: Any = data
    for key in where[:-1]:
        holder = holder[key]
    holder[where[-1]] = value
    consultation, problems = validate(data, _fake_lines)
    assert (consultation is None) == bool(problems)
    if consultation is not None:
        assert Consultation.from_json(consultation.to_json()) == consultation
