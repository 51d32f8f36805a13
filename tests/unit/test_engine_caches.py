"""The engine's memoised wording follows each parent's own language, turn by turn."""

from __future__ import annotations

from conversations.types import Channel
from tests.unit.family import Family


def _at_consent(language: str | None) -> Family:
    family = Family(Channel.TELEGRAM)
    family.send("Helo")  # Bettws: English and Welsh
    if language is not None:
        family.press(f"lang:{language}")
    return family


def test_english_welsh_and_bilingual_parents_each_get_their_own_words_in_turn() -> None:
    for _ in range(2):  # the second round is answered from the caches
        english, welsh, undecided = _at_consent("en"), _at_consent("cy"), _at_consent(None)
        assert [c.label for c in english.last[-1].choices] == ["Yes, I agree", "No thanks"]
        assert welsh.last[-1].choices[0].label == "Ydw, rwy'n cytuno"
        assert "Which language would you like?" in undecided.text
        assert "Pa iaith" in undecided.text
        english.press("consent:yes")
        welsh.press("consent:yes")
        assert english.text.startswith("Thank you.")
        assert not welsh.text.startswith("Thank you.")
        assert "baby on the way" in english.text
        assert "baby on the way" not in welsh.text
