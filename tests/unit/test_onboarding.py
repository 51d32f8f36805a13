"""Onboarding through the pure engine: community, language, consent, children, summary."""

from __future__ import annotations

from datetime import date

import pytest

from conversations.render import render_sms
from conversations.types import Channel, ContactStatus, InboundKind
from tests.unit.family import Family


def test_bettws_welcome_is_bilingual_welsh_first() -> None:
    family = Family()
    (welcome,) = family.send("Helo")
    assert family.contact.community_id == "bettws"
    assert welcome.text.index("Croeso") < welcome.text.index("Hello")
    assert [c.label for c in welcome.choices] == ["Cymraeg", "English"]
    assert welcome.locales == ("cy", "en")
    sms = render_sms(welcome)
    assert "1 Cymraeg\n2 English" in sms
    assert "Atebwch gyda rhif. / Reply with a number." in sms


def test_english_community_welcomes_in_english_and_skips_language_choice() -> None:
    family = Family()
    replies = family.send("feltham")
    assert family.contact.community_id == "feltham"
    assert family.contact.language == "en"
    assert "Feltham Early Learning Community" in replies[0].text
    assert "Croeso" not in family.text
    assert [c.id for c in replies[-1].choices] == ["consent:yes", "consent:no"]


def test_deep_link_payload_places_parent_and_unknown_payload_uses_default() -> None:
    family = Family(Channel.TELEGRAM)
    family.send(kind=InboundKind.START, payload="east-belfast")
    assert family.contact.community_id == "east-belfast"
    other = Family(Channel.TELEGRAM)
    other.send(kind=InboundKind.START, payload="atlantis")
    assert other.contact.community_id == "bettws"


def test_first_sms_word_names_community_case_insensitively() -> None:
    family = Family()
    family.send("SHEFFIELD please")
    assert family.contact.community_id == "sheffield"


def test_welsh_onboarding_by_numbers_stores_everything_in_welsh() -> None:
    family = Family()
    family.send("Helo")
    consent = family.send("1")
    assert family.contact.language == "cy"
    assert "Ydw, rwy'n cytuno" in [c.label for c in consent[-1].choices]
    family.send("ie")
    assert family.consents == [("2026-11", True)]
    family.send("2")  # already born
    family.send("12 Mawrth 2025")
    family.send("Siôn")
    family.send("2")  # no more children
    assert "12 Mawrth 2025" in family.text
    assert "Siôn" in family.text
    family.send("1")
    assert family.contact.status is ContactStatus.ACTIVE
    (child,) = family.contact.children
    assert (child.nickname, child.birth_date, child.due_date) == ("Siôn", date(2025, 3, 12), None)


def test_two_children_one_due_one_born_with_skip() -> None:
    family = Family()
    family.send("margate")
    family.press("consent:yes")
    family.press("kind:due")
    family.send("1 June 2026")
    family.press("skip")
    family.press("more:yes")
    family.press("kind:born")
    family.send("March 2025")
    family.send("Ava")
    family.press("more:no")
    assert "A baby due 1 June 2026" in family.text
    assert "Ava: born 15 March 2025" in family.text
    family.press("confirm:yes")
    due, born = family.contact.children
    assert due.due_date == date(2026, 6, 1) and due.nickname is None
    assert born.birth_date == date(2025, 3, 15) and born.nickname == "Ava"


def test_declining_ends_politely_and_stores_no_child() -> None:
    family = Family()
    family.send("feltham")
    family.press("consent:no")
    assert family.contact.status is ContactStatus.DECLINED
    assert family.consents == [("2026-11", False)]
    assert family.contact.children == ()
    assert "START" in family.text
    assert family.contact.state.flow is None


def test_start_again_from_summary_forgets_draft_children() -> None:
    family = Family()
    family.send("feltham")
    family.press("consent:yes")
    family.press("kind:born")
    family.send("1/1/2025")
    family.press("skip")
    family.press("more:no")
    family.press("confirm:restart")
    assert family.contact.state.step == "kind"
    family.press("kind:born")
    family.send("2/2/2025")
    family.press("skip")
    family.press("more:no")
    family.press("confirm:yes")
    assert [c.birth_date for c in family.contact.children] == [date(2025, 2, 2)]


@pytest.mark.parametrize(
    ("kind", "reply", "reason"),
    [
        ("kind:born", "1/1/2027", "in the future"),
        ("kind:born", "1/1/2015", "more than five years ago"),
        ("kind:born", "31/02/2025", "couldn't read that date"),
        ("kind:born", "banana", "couldn't read that date"),
        ("kind:due", "1/1/2026", "already passed"),
        ("kind:due", "1/1/2028", "more than 42 weeks"),
    ],
)
def test_impossible_dates_are_reasked_with_an_example(kind: str, reply: str, reason: str) -> None:
    family = Family()
    family.send("feltham")
    family.press("consent:yes")
    family.press(kind)
    step = family.contact.state
    family.send(reply)
    assert reason in family.text
    assert "For example:" in family.text
    assert family.contact.state == step


def test_welsh_date_error_is_in_welsh_with_welsh_example() -> None:
    family = Family()
    family.send("Helo")
    family.press("lang:cy")
    family.press("consent:yes")
    family.press("kind:born")
    family.send("dim syniad")
    assert "Mae'n ddrwg gen i" in family.text
    assert "Er enghraifft:" in family.text
    assert "22 Awst 2025" in family.text  # the example: 200 days before 10 March 2026


@pytest.mark.parametrize(
    "nonsense",
    ["", "   ", "x" * 5000, "🙂🙂🙂", "مرحبا", "\x00\x07\x1b[31m", "7"],
)
def test_nonsense_gets_a_kind_reprompt_and_keeps_state(nonsense: str) -> None:
    family = Family()
    family.send("Helo")
    family.press("lang:en")
    before = family.contact
    replies = family.send(nonsense)
    assert family.contact == before
    assert "Sorry, I didn't understand that." in replies[0].text
    assert [c.id for c in replies[0].choices] == ["consent:yes", "consent:no"]


@pytest.mark.parametrize("nonsense", ["", "x" * 5000, "🙂", "\u202eabc", "9"])
def test_nonsense_in_welsh_is_reprompted_in_welsh(nonsense: str) -> None:
    family = Family()
    family.send("Helo")
    family.press("lang:cy")
    before = family.contact
    (reply,) = family.send(nonsense)
    assert family.contact == before
    assert reply.text.startswith("Mae'n ddrwg gen i, doeddwn i ddim yn deall hynny.")
    assert [c.label for c in reply.choices] == ["Ydw, rwy'n cytuno", "Dim diolch"]


def test_media_is_answered_with_text_only_notice_and_question_again() -> None:
    family = Family(Channel.TELEGRAM)
    family.send(kind=InboundKind.START, payload="feltham")
    before = family.contact.state
    family.send(kind=InboundKind.MEDIA)
    assert "I can only read text messages" in family.text
    assert family.last[-1].choices[0].id == "consent:yes"
    assert family.contact.state == before


def test_stale_button_from_an_earlier_question_is_not_taken_as_an_answer() -> None:
    family = Family(Channel.TELEGRAM)
    family.send(kind=InboundKind.START, payload="feltham")
    family.press("consent:yes")
    family.send(choice="consent:no")
    assert family.contact.status is ContactStatus.ONBOARDING
    assert family.contact.state.step == "kind"


def test_overlong_nickname_is_refused_kindly() -> None:
    family = Family()
    family.send("feltham")
    family.press("consent:yes")
    family.press("kind:born")
    family.send("3/3/2025")
    family.send("A" * 31)
    assert "up to 30 letters" in family.text
    assert family.contact.state.step == "name"
