"""Tips in the pure engine: first tip for late joiners, reactions, PAUSE/RESUME, TIPS, birth."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from conversations import effects as fx
from conversations.content.library import Tip, TipLibrary
from conversations.engine import Engine
from conversations.flows import birth
from conversations.flows.base import Ctx
from conversations.flows.tips import tip_message
from conversations.render import render_sms, render_telegram
from conversations.types import Channel, Child, InboundKind, MessageKind
from tests.unit import family as fam
from tests.unit.family import NOW, Family


def _tip(track: str, week: int) -> Tip:
    tip_id = f"p{week:02d}" if track == "pregnancy" else f"c{week:03d}"
    return Tip(
        id=tip_id,
        track=track,  # type: ignore[arg-type]
        week=week,
        topic="talk",
        routine="bath time",
        texts={"en": f"English tip {tip_id}.", "cy": f"Awgrym Cymraeg {tip_id}."},
        reviewed={"cy": False},
    )


LIBRARY = TipLibrary(
    [_tip("pregnancy", w) for w in range(12, 41)]
    + [_tip("child", w) for w in range(104)]
    + [_tip("child", w) for w in range(104, 260, 2)]
)


@pytest.fixture(autouse=True)
def engine_with_tips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fam, "ENGINE", Engine(replace(fam.engine_config(), tips=LIBRARY)))


def _onboard(first: str, birth_text: str, lang_choice: str | None = None) -> Family:
    family = Family()
    family.send(first)
    if lang_choice:
        family.press(lang_choice)
    family.press("consent:yes")
    family.press("kind:born")
    family.send(birth_text)
    family.press("skip")
    family.press("more:no")
    family.press("confirm:yes")
    return family


def test_a_late_joiner_gets_this_weeks_tip_with_the_welcome_and_no_backlog() -> None:
    family = _onboard("feltham", "1/1/2025")  # 62 weeks old on 10 March 2026
    texts = [m.text for m in family.last]
    assert "each Tuesday at 10:00" in texts[0]
    assert texts[1] == "Here is your first tip:\n\nEnglish tip c061."
    assert len(family.last) == 2  # one tip, not sixty-two


def test_the_first_tip_is_in_welsh_for_a_welsh_speaker() -> None:
    family = _onboard("Helo", "1/1/2025", "lang:cy")
    assert family.last[-1].text == "Dyma eich awgrym cyntaf:\n\nAwgrym Cymraeg c061."
    assert "bob Dydd Mawrth am 10:00" in family.last[0].text


def test_sms_explains_reactions_once_and_tips_stay_one_segment() -> None:
    family = _onboard("feltham", "1/1/2025")
    assert "reply 1 if it was useful" in family.last[0].text
    message = tip_message("en", [(Child(1, None, date(2025, 1, 1)), LIBRARY.get("c061"))])
    assert message.kind is MessageKind.PROACTIVE
    assert render_sms(message) == "English tip c061."
    assert [label for row in render_telegram(message).buttons for label, _ in row] == [
        "Useful",
        "Tried it",
        "Not for me",
    ]


def test_siblings_tips_are_combined_and_named() -> None:
    items = [
        (Child(1, "Ava", date(2025, 1, 1)), LIBRARY.get("c061")),
        (Child(2, None, None, date(2026, 6, 1)), LIBRARY.get("p28")),
    ]
    text = tip_message("en", items).text
    assert text == "Ava: English tip c061.\n\nYour baby on the way: English tip p28."


def test_a_reaction_button_is_recorded_from_any_state() -> None:
    family = _onboard("feltham", "1/1/2025")
    family.send("children")
    before = family.contact.state
    event = fam.InboundMessage(
        Channel.TELEGRAM, "700900001", "rx", NOW, InboundKind.CHOICE, choice_id="r:c061:tried"
    )
    result = fam.ENGINE.step(family.contact, event, NOW)
    assert fx.RecordReaction("c061", "tried") in result.effects
    assert result.state == before  # the open menu is still open


def test_a_bare_number_soon_after_a_tip_is_a_reaction_on_sms() -> None:
    family = _onboard("feltham", "1/1/2025")
    family.contact = replace(family.contact, last_tip_id="c061", last_tip_at=NOW)
    event = fam.InboundMessage(Channel.SMS, "+447700900001", "y", NOW, text="3")
    effects = fam.ENGINE.step(family.contact, event, NOW).effects
    assert fx.RecordReaction("c061", "not_for_me") in effects
    later = NOW + timedelta(days=8)
    stale = fam.ENGINE.step(family.contact, event, later).effects
    assert not any(isinstance(e, fx.RecordReaction) for e in stale)
    assert any(isinstance(e, fx.Unexpected) for e in stale)  # kept for staff instead


def test_pause_and_resume() -> None:
    family = _onboard("feltham", "1/1/2025")
    resume = fam.InboundMessage(Channel.SMS, "+447700900001", "r", NOW, text="parhau")
    not_paused = fam.ENGINE.step(family.contact, resume, NOW).effects
    assert not any(isinstance(e, fx.PauseTips) for e in not_paused)
    event = fam.InboundMessage(Channel.SMS, "+447700900001", "p", NOW, text="PAUSE")
    effects = fam.ENGINE.step(family.contact, event, NOW).effects
    assert fx.PauseTips(NOW + timedelta(days=28)) in effects
    text = " ".join(e.message.text for e in effects if isinstance(e, fx.Reply))
    assert "health visitor" in text and "RESUME" in text
    paused = replace(family.contact, tips_paused_until=NOW + timedelta(days=28))
    assert fx.PauseTips(None) in fam.ENGINE.step(paused, resume, NOW).effects


def test_tips_keyword_changes_the_day_and_time() -> None:
    family = _onboard("feltham", "1/1/2025")
    family.send("TIPS")
    assert "Your tips come on Tuesday at 10:00" in family.text
    assert len(family.last[-1].choices) == 7
    family.send("4")  # Thursday
    family.send("18:00")
    assert "Thursday at 18:00" in family.text
    assert family.contact.state.flow is None


def test_birth_check_offers_a_gentle_way_out() -> None:
    family = _onboard("feltham", "1/1/2025")
    child = Child(5, None, None, date(2026, 3, 1))
    family.contact = replace(family.contact, children=(child,), state=birth.state_for(child))
    ctx = Ctx(fam.ENGINE.config, family.contact, NOW)
    question = birth.question(ctx, child)
    assert question.kind is MessageKind.PROACTIVE
    assert "1 March 2026" in question.text
    assert [c.id for c in question.choices] == ["birth:yes", "birth:no", "birth:stop"]
    event = fam.InboundMessage(Channel.SMS, "+447700900001", "b", NOW, text="3")
    effects = fam.ENGINE.step(family.contact, event, NOW).effects
    assert any(isinstance(e, fx.PauseTips) and e.until is not None for e in effects)


def test_birth_date_answer_moves_the_child_to_baby_tips() -> None:
    family = _onboard("feltham", "1/1/2025")
    child = Child(5, "Bump", None, date(2026, 3, 1))
    family.contact = replace(family.contact, children=(child,), state=birth.state_for(child))
    family.send("1")
    family.send("4/3/2026")
    (updated,) = family.contact.children
    assert (updated.birth_date, updated.due_date) == (date(2026, 3, 4), None)
    assert "follow your baby's age" in family.text
    assert family.contact.state.flow is None
