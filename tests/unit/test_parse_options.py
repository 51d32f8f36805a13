"""Matching replies to numbered options, several options at once, and yes or no."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.parsing.options import (
    NO_WORDS,
    YES_WORDS,
    Option,
    match_option,
    match_options,
    yes_no,
)
from conversations.parsing.text import fold

# Every Unicode category, surrogates ("Cs") and unassigned code points included.
ANY_CHAR = st.characters(categories=["C", "L", "M", "N", "P", "S", "Z"])
ANY_TEXT = (
    st.text(alphabet=ANY_CHAR, max_size=200)
    | st.text(alphabet="0123456789 ,&#.)andtreoupwyEWCS", max_size=40)
    | st.text(max_size=50).map(lambda s: s * 200)
)
FAST = settings(max_examples=150, deadline=None)

LANGUAGES = (
    Option("lang:en", ("English", "Saesneg")),
    Option("lang:cy", ("Cymraeg", "Welsh", "Cymraeg 🏴")),
)
TOPICS = (
    Option("t:sleep", ("Sleep", "Cwsg")),
    Option("t:food", ("Food and drink", "Bwyd a diod")),
    Option("t:play", ("Play", "Chwarae")),
    Option("t:talk", ("Talking", "Siarad")),
    Option("t:yes", ("👍 Yes, I agree", "No, that's all")),
)
TEN = tuple(Option(f"o{n}", (f"label {n}",)) for n in range(1, 11))

SINGLE_CASES: list[tuple[str, str | None]] = [
    ("1", "lang:en"),
    (" 1. ", "lang:en"),
    ("1)", "lang:en"),
    ("(2)", "lang:cy"),
    ("#1", "lang:en"),
    ("option 1", "lang:en"),
    ("Option #2", "lang:cy"),
    ("opsiwn 2", "lang:cy"),
    ("rhif 1", "lang:en"),
    ("one", "lang:en"),
    ("Un", "lang:en"),
    ("two", "lang:cy"),
    ("dau", "lang:cy"),
    ("dwy", "lang:cy"),
    ("first", "lang:en"),
    ("the second one", "lang:cy"),
    ("cyntaf", "lang:en"),
    ("ail", "lang:cy"),
    ("1st", "lang:en"),
    ("2il", "lang:cy"),
    ("English", "lang:en"),
    ("ENGLISH!", "lang:en"),
    ("saesneg.", "lang:en"),
    ("Cymraeg", "lang:cy"),
    ("welsh", "lang:cy"),
    ("Cymraeg 🏴", "lang:cy"),
    ("lang:cy", "lang:cy"),
    ("３", None),
    ("0", None),
    ("3", None),
    ("-1", None),
    ("99999999999999999999", None),
    ("", None),
    ("  ", None),
    ("Cymraeg English", None),
    ("French", None),
    ("1 2", None),
]


@pytest.mark.parametrize(("text", "expected"), SINGLE_CASES)
def test_match_option(text: str, expected: str | None) -> None:
    assert match_option(text, LANGUAGES) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Food and drink", "t:food"),
        ("bwyd a diod", "t:food"),
        ("yes, i agree", "t:yes"),
        ("no thats all", "t:yes"),
        ("No, that’s all.", "t:yes"),
        ("tri", "t:play"),
        ("tair", "t:play"),
        ("pedwar", "t:talk"),
        ("pump", "t:yes"),
        ("five", "t:yes"),
        ("6", None),
        ("chwech", None),
    ],
)
def test_match_option_labels_and_welsh_numbers(text: str, expected: str | None) -> None:
    assert match_option(text, TOPICS) == expected


@pytest.mark.parametrize(
    ("word", "number"),
    [
        *[("six", 6), ("chwech", 6), ("chwe", 6), ("seven", 7), ("saith", 7)],
        *[("eight", 8), ("wyth", 8), ("nine", 9), ("naw", 9), ("ten", 10), ("deg", 10)],
        *[("10", 10), ("rhif 10", 10), ("tenth", 10), ("degfed", 10)],
    ],
)
def test_number_words_up_to_ten(word: str, number: int) -> None:
    assert match_option(word, TEN) == f"o{number}"


def test_ambiguous_labels_give_none() -> None:
    clash = (Option("a", ("Maybe",)), Option("b", ("maybe!",)), Option("c", ("Other",)))
    assert match_option("maybe", clash) is None
    assert match_option("other", clash) == "c"
    assert match_option("3", clash) == "c"


def test_number_that_is_another_options_label_gives_none() -> None:
    options = (Option("a", ("2",)), Option("b", ("Two of them",)))
    assert match_option("2", options) is None
    assert match_option("1", options) == "a"


def test_no_options() -> None:
    assert match_option("1", ()) is None
    assert match_options("1", ()) is None


MULTI_CASES: list[tuple[str, tuple[str, ...] | None]] = [
    ("2,3", ("t:food", "t:play")),
    ("3, 2", ("t:food", "t:play")),
    ("2 3", ("t:food", "t:play")),
    ("2 and 3", ("t:food", "t:play")),
    ("2 a 3", ("t:food", "t:play")),
    ("2 ac 3", ("t:food", "t:play")),
    ("2 & 3", ("t:food", "t:play")),
    ("2;3;2", ("t:food", "t:play")),
    ("one, three", ("t:sleep", "t:play")),
    ("un a tri", ("t:sleep", "t:play")),
    ("Sleep, Play", ("t:sleep", "t:play")),
    ("food and drink, talking", ("t:food", "t:talk")),
    ("Bwyd a diod a Chwarae", ("t:food", "t:play")),
    ("4", ("t:talk",)),
    ("Food and drink", ("t:food",)),
    ("1, 2, 3, 4, 5", ("t:sleep", "t:food", "t:play", "t:talk", "t:yes")),
    ("2,", ("t:food",)),
    ("2, 9", None),
    ("2, dancing", None),
    ("2 or 3", None),
    ("", None),
    (",", None),
    ("and", None),
]


@pytest.mark.parametrize(("text", "expected"), MULTI_CASES)
def test_match_options(text: str, expected: tuple[str, ...] | None) -> None:
    assert match_options(text, TOPICS) == expected


YES_NO_CASES: list[tuple[str, bool | None]] = [
    *[(word, True) for word in ("yes", "Y", "Yeah", "yep", "yup", "OK", "okay", "sure", "aye")],
    *[(word, True) for word in ("Ie", "iawn", "Do", "ydw", "Ydy", "oes", "cytuno", "👍")],
    *[("YES!", True), ("yes please", True), ("Yes 👍", True), ("👍🏽", True), ("Iê", True)],
    *[(word, False) for word in ("no", "N", "nope", "nah", "Na", "nac ydw", "Nac oes")],
    *[("dim diolch", False), ("No thanks", False), ("No, thanks.", False), ("NO!!", False)],
    *[("maybe", None), ("yes no", None), ("", None), ("👎👍", None), ("yes and no", None)],
]


@pytest.mark.parametrize(("text", "expected"), YES_NO_CASES)
def test_yes_no(text: str, expected: bool | None) -> None:
    assert yes_no(text) is expected


def test_word_sets_are_folded_and_disjoint() -> None:
    assert all(fold(word) == word for word in YES_WORDS | NO_WORDS)
    assert not YES_WORDS & NO_WORDS
    assert {"yes", "ie", "iawn", "👍"} <= YES_WORDS
    assert {"no", "na", "nac ydw", "no thanks"} <= NO_WORDS


OPTION_LISTS = st.lists(
    st.builds(
        Option,
        st.text(max_size=10),
        st.lists(st.text(alphabet=ANY_CHAR, max_size=15), max_size=3).map(tuple),
    ),
    max_size=6,
)


@FAST
@given(ANY_TEXT, OPTION_LISTS)
def test_match_option_never_raises(text: str, options: list[Option]) -> None:
    picked = match_option(text, options)
    assert picked is None or picked in {option.id for option in options}


@FAST
@given(ANY_TEXT, OPTION_LISTS)
def test_match_options_never_raises(text: str, options: list[Option]) -> None:
    picked = match_options(text, options)
    if picked is not None:
        ids = [option.id for option in options]
        assert picked
        assert len(set(picked)) == len(picked)
        assert list(picked) == sorted(picked, key=ids.index)


@FAST
@given(ANY_TEXT)
def test_yes_no_never_raises(text: str) -> None:
    assert yes_no(text) in {True, False, None}


@FAST
@given(
    st.lists(st.integers(1, len(TOPICS)), min_size=1, max_size=8),
    st.sampled_from([",", " ", " and ", " a ", " & "]),
)
def test_any_list_of_numbers_round_trips(numbers: list[int], separator: str) -> None:
    expected = tuple(TOPICS[n - 1].id for n in sorted(set(numbers)))
    assert match_options(separator.join(map(str, numbers)), TOPICS) == expected


@FAST
@given(
    st.integers(1, len(TOPICS)),
    st.sampled_from(["{}", " {}. ", "{})", "#{}", "option {}", "opsiwn {}", "rhif {}"]),
)
def test_any_number_form_picks_that_option(number: int, template: str) -> None:
    assert match_option(template.format(number), TOPICS) == TOPICS[number - 1].id
