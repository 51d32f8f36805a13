"""Safeguarding screening: whole words and phrases, any casing or accents, in every state."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.settings import ConfigError, load_safeguarding
from conversations import effects as fx
from conversations.engine import Engine
from conversations.parsing.text import fold
from conversations.safeguarding import Screen, normalise, spaced_words
from conversations.types import EventView, InboundKind, InboundMessage
from tests.unit.family import ENGINE, Family, engine_config, onboarded
from tests.unit.test_event_flow import CLINIC

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_safeguarding(ROOT / "config" / "safeguarding.yaml")
SCREENED = Engine(replace(engine_config(), safeguarding=SHIPPED))
ALL_TERMS = sorted({t for words in SHIPPED.terms.values() for t in words})
SMALL = Screen.of({"en": ["harm", "self harm", "can't cope"], "cy": ["cam-drin", "niwed"]})


def test_the_shipped_lists_cover_both_languages_and_say_they_need_review() -> None:
    assert set(SHIPPED.terms) == {"en", "cy"}
    assert all(len(words) >= 20 for words in SHIPPED.terms.values())
    text = (ROOT / "config" / "safeguarding.yaml").read_text()
    assert "safeguarding lead" in text


def test_whole_words_and_phrases_match_but_not_inside_other_words() -> None:
    assert SMALL.match("I'm worried he will HARM her") == ["harm"]
    assert SMALL.match("went to the pharmacy, harmless fun") == []
    assert SMALL.match("Self-harm again... I CAN’T COPE") == ["self harm", "harm", "can't cope"]
    assert SMALL.match("roedd o'n cam drin y plant") == ["cam-drin"]
    assert SMALL.match("") == [] and Screen().match("harm") == []


def test_a_broken_lists_file_is_refused_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "lists.yaml"
    bad.write_text("terms:\n  en: harm\n")
    with pytest.raises(ConfigError, match=r"lists\.yaml"):
        load_safeguarding(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_safeguarding(tmp_path / "missing.yaml")


@given(st.text())
def test_screening_never_raises(text: str) -> None:
    assert set(SHIPPED.match(text)) <= set(ALL_TERMS)
    assert "".join(piece for piece, _ in SHIPPED.marked(text)) == text


ACCENTS = ("\u0301", "\u0302", "\u0308", "\u0300")


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str]:
    """A listed term in any casing, with accents added, inside other text."""
    term = draw(st.sampled_from(ALL_TERMS))
    letters = []
    for ch in term:
        ch = ch.upper() if draw(st.booleans()) else ch.lower()
        if ch.isalpha() and draw(st.booleans()):
            ch = unicodedata.normalize(
                draw(st.sampled_from(("NFC", "NFD"))), ch + draw(st.sampled_from(ACCENTS))
            )
        letters.append(ch)
    before = draw(st.sampled_from(("", "Help. ", "ok\n", "(", "I think ")))
    after = draw(st.sampled_from(("", "!", " please", "...", ", sorry")))
    return term, before + "".join(letters) + after


@given(disguised())
def test_any_casing_or_accents_of_a_listed_term_match(case: tuple[str, str]) -> None:
    term, text = case
    assert term in SHIPPED.match(text)
    assert any(marked for _, marked in SHIPPED.marked(text))


@given(st.sampled_from(ALL_TERMS), st.sampled_from(("zq", "xx", "qu")), st.booleans())
def test_a_listed_term_inside_a_longer_word_does_not_match(
    term: str, glue: str, front: bool
) -> None:
    text = glue + term if front else term + glue
    assert term not in SHIPPED.match(text)


@given(st.text())
def test_normalising_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


def _at(script: list[str]) -> Callable[[], Family]:
    def build() -> Family:
        family = Family()
        for line in script:
            family.send(line)
        return family

    return build


STATES = {
    "new": Family,
    "language": _at(["Helo"]),
    "consent": _at(["Helo", "2"]),
    "date": _at(["Helo", "2", "1", "2"]),
    "name": _at(["Helo", "2", "1", "2", "1/5/2025"]),
    "active": onboarded,
    "welsh active": lambda: onboarded("cy", "bettws"),
    "choosing tip day": lambda: _then(onboarded(), "TIPS"),
    "opted out": lambda: _then(onboarded(), "STOP"),
    "answering an event": lambda: _then(_then(_with_event(), "EVENTS"), "1"),
}


def _with_event() -> Family:
    family = onboarded()
    family.contact = replace(family.contact, events=(EventView(CLINIC, None),))
    return family


def _then(family: Family, text: str) -> Family:
    family.send(text)
    return family


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize(
    "text", ["I can't cope any more", "Dw i isio marw", "sam", "2", "HUNANLADDIAD", "Self-harm."]
)
def test_every_state_screens_every_language_without_changing_the_flow(
    state: str, text: str
) -> None:
    family = STATES[state]()
    if state == "answering an event":
        assert family.contact.state.step == "rsvp"
    event = family_event(family, text)
    plain = ENGINE.step(family.contact, event, family.now)
    screened = SCREENED.step(family.contact, event, family.now)
    alerts = [e for e in screened.effects if isinstance(e, fx.Safeguarding)]
    expected = SHIPPED.match(text)
    assert [a.matched for a in alerts] == ([tuple(expected)] if expected else [])
    assert screened.state == plain.state
    unflagged = [e for e in plain.effects if not (expected and isinstance(e, fx.Unexpected))]
    assert [e for e in screened.effects if not isinstance(e, fx.Safeguarding)] == unflagged


def test_stop_is_still_stop() -> None:
    family = onboarded()
    result = SCREENED.step(family.contact, family_event(family, "STOP"), family.now)
    assert any(isinstance(e, fx.SetStatus) for e in result.effects)
    assert not any(isinstance(e, fx.Safeguarding) for e in result.effects)


def family_event(family: Family, text: str) -> InboundMessage:
    return InboundMessage(
        channel=family.channel,
        address="+447700900001",
        provider_id="m-screen",
        received_at=family.now,
        kind=InboundKind.TEXT,
        text=text,
    )


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_the_ascii_shortcut_splits_words_as_the_general_loop_does(text: str) -> None:
    folded = fold(text)
    assert normalise(text) == " ".join(spaced_words(folded).split())
