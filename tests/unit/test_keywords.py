"""Every keyword, in both languages, from every state the engine can be in."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conversations.keywords import WORDS, Keyword, match_keyword
from conversations.types import ContactStatus
from tests.unit.family import Family, onboarded


def _new() -> Family:
    return Family()


def _at(step: str) -> Callable[[], Family]:
    script = {
        "language": ["Helo"],
        "consent": ["Helo", "2"],
        "kind": ["Helo", "2", "1"],
        "date": ["Helo", "2", "1", "2"],
        "name": ["Helo", "2", "1", "2", "1/5/2025"],
        "more": ["Helo", "2", "1", "2", "1/5/2025", "Sam"],
        "confirm": ["Helo", "2", "1", "2", "1/5/2025", "Sam", "2"],
    }[step]

    def build() -> Family:
        family = Family()
        for line in script:
            family.send(line)
        assert family.contact.state.step == step
        return family

    return build


def _active() -> Family:
    return onboarded()


def _children_menu() -> Family:
    family = onboarded()
    family.send("children")
    return family


def _language_flow() -> Family:
    family = onboarded()
    family.send("language")
    return family


def _opted_out() -> Family:
    family = onboarded()
    family.send("stop")
    return family


def _declined() -> Family:
    family = Family()
    family.send("feltham")
    family.press("consent:no")
    return family


STATES: dict[str, Callable[[], Family]] = {
    "new": _new,
    **{
        f"onboarding-{s}": _at(s)
        for s in ("language", "consent", "kind", "date", "name", "more", "confirm")
    },
    "active": _active,
    "children-menu": _children_menu,
    "language-flow": _language_flow,
    "opted-out": _opted_out,
    "declined": _declined,
}


def _words(keyword: Keyword) -> list[str]:
    return sorted({w for words in WORDS[keyword].values() for w in words})


def _cases(keyword: Keyword) -> list[tuple[str, str]]:
    return [(state, word) for state in STATES for word in _words(keyword)]


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.STOP))
def test_stop_opts_out_from_anywhere_and_is_never_an_answer(state: str, word: str) -> None:
    family = STATES[state]()
    children_before = family.contact.children
    consents_before = list(family.consents)
    family.send(word.upper())
    assert family.contact.status is ContactStatus.OPTED_OUT
    assert family.contact.state.flow is None
    assert family.contact.children == children_before
    assert family.consents == consents_before
    assert len(family.last) == 1
    assert "START" in family.text or "DECHRAU" in family.text


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.START))
def test_start_resubscribes_or_resumes(state: str, word: str) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(word.title())
    contact = family.contact
    if state == "opted-out":
        assert contact.status is ContactStatus.ACTIVE
        assert family.consents[-1] == ("2026-11", True)
    elif state in ("active", "children-menu", "language-flow"):
        assert contact.status is ContactStatus.ACTIVE
        assert "already signed up" in family.text
    elif state.startswith("onboarding"):
        assert contact.state == before.state
        assert family.last[-1].choices  # the open question, asked again
    else:  # new or declined: onboarding begins
        assert contact.status is ContactStatus.ONBOARDING
        assert contact.state.flow == "onboarding"


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.HELP))
def test_help_explains_keywords_and_keeps_the_open_question(state: str, word: str) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(f" {word.upper()}! ")
    assert "HELP" in family.text or "CYMORTH" in family.text
    assert "STOP" in family.text or "STOPIO" in family.text
    if state == "new":
        assert family.contact.state.flow == "onboarding"
    else:
        assert family.contact.state == before.state
        assert family.contact.status is before.status
    if before.state.flow is not None:
        assert family.last[-1].choices or "?" in family.last[-1].text


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.LANGUAGE))
def test_language_switches_or_reasks(state: str, word: str) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(word)
    if state == "opted-out":
        assert "START" in family.text and family.contact.state == before.state
        return
    choices = [c.id for c in family.last[-1].choices]
    assert "lang:cy" in choices and "lang:en" in choices
    family.press("lang:cy")
    assert family.contact.language == "cy"
    if before.state.flow not in (None, "language") and before.state.step != "language":
        assert family.contact.state == before.state  # carried on where they were


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.CHILDREN))
def test_children_opens_the_menu_only_once_set_up(state: str, word: str) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(word.upper())
    if state in ("active", "children-menu", "language-flow"):
        assert family.contact.state.flow == "children"
        assert "Sam: born 1 May 2025" in family.text
    elif state == "opted-out":
        assert family.contact.state == before.state
        assert "START" in family.text
    else:
        assert family.contact.status is not ContactStatus.ACTIVE
        assert family.contact.children == ()


@pytest.mark.parametrize(
    "text", ["STOP please", "stop it now", "helpful", "I want to stop", "start-up", "plant pot"]
)
def test_a_keyword_only_counts_as_the_whole_message(text: str) -> None:
    assert match_keyword(text) is None


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Stop", Keyword.STOP),
        ("STÖP", Keyword.STOP),
        ("/stop", Keyword.STOP),
        ("/help@ElcBot", Keyword.HELP),
        ("Iáith", Keyword.LANGUAGE),
        ("PLANT.", Keyword.CHILDREN),
        ("Dad-danysgrifio", Keyword.STOP),
        ("cymorth!", Keyword.HELP),
    ],
)
def test_keywords_ignore_case_accents_and_punctuation(text: str, keyword: Keyword) -> None:
    assert match_keyword(text) is keyword


def test_children_menu_adds_changes_and_removes() -> None:
    family = onboarded()
    family.send("PLANT")
    family.press("ch:add")
    family.press("kind:due")
    family.send("20/08/2026")
    family.send("Bump")
    assert "Bump: due 20 August 2026" in family.text
    family.send("children")
    family.press("ch:change")
    family.press("child:0")
    family.press("kind:born")
    family.send("2 May 2025")
    family.send("children")
    family.press("ch:remove")
    family.press("child:1")
    family.press("rm:yes")
    (child,) = family.contact.children
    assert (child.nickname, child.birth_date.isoformat() if child.birth_date else None) == (
        "Sam",
        "2025-05-02",
    )


def test_stopped_parent_gets_nothing_but_a_way_back() -> None:
    family = onboarded()
    family.send("stop")
    family.send("hello?")
    assert family.contact.status is ContactStatus.OPTED_OUT
    assert "START" in family.text
    assert family.inbox == []


TIP_KEYWORDS = [
    (state, keyword, word)
    for keyword in (Keyword.PAUSE, Keyword.RESUME, Keyword.TIPS)
    for state in STATES
    for word in _words(keyword)
]


@pytest.mark.parametrize(("state", "keyword", "word"), TIP_KEYWORDS)
def test_tip_keywords_act_only_for_signed_up_parents(
    state: str, keyword: Keyword, word: str
) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(word.upper())
    after = family.contact
    assert after.status is before.status
    assert after.children == before.children
    if state in ("active", "children-menu", "language-flow"):
        if keyword is Keyword.TIPS:
            assert after.state.flow == "schedule"
        elif keyword is Keyword.PAUSE:
            assert "paused your tips" in family.text
        else:
            assert "aren't paused" in family.text  # nothing was paused in these states
    elif state == "opted-out":
        assert "START" in family.text
    else:
        assert after.state == before.state or after.state.flow == "onboarding"
        assert "paused" not in family.text


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.MYDATA))
def test_mydata_says_what_is_kept_and_keeps_the_open_question(state: str, word: str) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(word.upper())
    said = family.last[0].text
    assert "what we keep about you" in said or "beth rydyn ni'n ei gadw" in said
    assert "DELETE" in said or "DILEU" in said
    assert not family.erased
    if state == "new":
        assert family.contact.state.flow == "onboarding"
    else:
        assert family.contact.state == before.state
        assert family.contact.status is before.status
        assert family.contact.children == before.children
    if before.state.flow is not None and state != "opted-out":
        assert family.last[-1].choices or "?" in family.last[-1].text
    if state in ("active", "children-menu", "language-flow"):
        assert "Sam: born 1 May 2025" in said and "2026-11" in said


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.DELETE))
def test_delete_asks_first_and_no_carries_on_where_they_were(state: str, word: str) -> None:
    family = STATES[state]()
    before = family.contact
    family.send(word.title())
    assert [c.id for c in family.last[-1].choices] == ["erase:yes", "erase:no"]
    assert family.contact.children == before.children and not family.erased
    family.press("erase:no")
    assert not family.erased
    assert family.contact.children == before.children
    assert family.contact.status is before.status
    if state != "new":
        assert family.contact.state == before.state


@pytest.mark.parametrize(("state", "word"), _cases(Keyword.DELETE))
def test_delete_then_yes_erases_and_says_goodbye(state: str, word: str) -> None:
    family = STATES[state]()
    family.send(word)
    family.send("yes" if state.endswith("language") or state == "new" else "ie")
    assert family.erased
    assert "goodbye" in family.text or "hwyl fawr" in family.text.lower()
    assert family.contact.state.flow is None


def test_mydata_in_welsh_for_a_known_family() -> None:
    family = onboarded("cy", "bettws")
    family.send("FY NATA")
    said = family.text
    assert "Dyma beth rydyn ni'n ei gadw amdanoch chi." in said
    assert "Iaith: Cymraeg. Cymuned: Bettws. Negeseuon drwy: SMS." in said
    assert "Sam: ganwyd 1 Mai 2025" in said
    assert "Awgrymiadau: Dydd Mawrth am 10:00." in said
    assert "DILEU" in said and "DELETE" not in said
