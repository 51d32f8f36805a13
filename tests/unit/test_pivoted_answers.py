"""An invite's pivoted answers (what the exports read) follow every answer, change and skip."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage.consultations import pivoted

QUESTIONS = st.sampled_from(["uses", "how-often", "help", "ideas"])
VALUES = st.none() | st.sampled_from(["yes", "no", "shade,toilets", "4", "Mwy o feinciau"])


@given(st.lists(st.tuples(QUESTIONS, VALUES), max_size=12))
def test_the_pivot_holds_each_questions_last_answer_and_no_skip(
    answers: list[tuple[str, str | None]],
) -> None:
    held: dict[str, str] | None = None
    last: dict[str, str | None] = {}
    for question, value in answers:
        before = held
        held = pivoted(held, question, value)
        assert held is not before  # a new dict each time, so the ORM writes it
        last[question] = value
    assert (held or {}) == {q: v for q, v in last.items() if v is not None}


def test_a_changed_answer_replaces_and_a_skip_removes() -> None:
    held = pivoted(None, "uses", "yes")
    held = pivoted(held, "help", "shade")
    assert pivoted(held, "uses", "no") == {"uses": "no", "help": "shade"}
    assert pivoted(held, "uses", None) == {"help": "shade"}
    assert held == {"uses": "yes", "help": "shade"}  # the dict given is left as it was
