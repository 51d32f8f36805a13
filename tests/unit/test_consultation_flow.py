"""Answering a consultation through the pure engine, as a parent on SMS or Telegram sees it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.consultation_yaml import load
from conversations import effects as fx
from conversations.consultations.model import Consultation, Option, Question
from conversations.flows import consultation as flow
from conversations.flows import consultation_questions as put
from conversations.flows.base import Answer, Ctx
from conversations.render import render_sms, render_telegram
from conversations.types import (
    IDLE,
    Channel,
    ContactStatus,
    ConversationState,
    MessageKind,
    OutgoingMessage,
)
from tests.unit.family import ENGINE, NOW, ROOT, Family


def _play_park() -> Consultation:
    consultation, problems = load(ROOT / "examples/consultations/play-park.yaml", ("en", "cy"))
    assert consultation is not None, problems
    return consultation


PLAY_PARK = _play_park()


def _q(qid: str, kind: str, en: str, cy: str, **more: object) -> Question:
    return Question(qid, kind, {"en": en, "cy": cy}, **more)  # type: ignore[arg-type]


# Every question type, including the ones the play park does not use.
ALL_TYPES = Consultation(
    id="all",
    title={"en": "All kinds", "cy": "Pob math"},
    intro={"en": "A test.", "cy": "Prawf."},
    questions=(
        _q(
            "pick",
            "choice",
            "Which one?",
            "Pa un?",
            options=(
                Option("red", {"en": "Red", "cy": "Coch"}),
                Option("green", {"en": "Green", "cy": "Gwyrdd"}),
                Option("blue", {"en": "Blue", "cy": "Glas"}),
            ),
        ),
        _q(
            "many",
            "multi",
            "Which ones?",
            "Pa rai?",
            optional=True,
            options=(
                Option("a", {"en": "Apples", "cy": "Afalau"}),
                Option("b", {"en": "Bananas", "cy": "Bananas"}),
                Option("c", {"en": "Cherries", "cy": "Ceirios"}),
            ),
        ),
        _q(
            "rate",
            "scale",
            "How good?",
            "Pa mor dda?",
            labels={
                "low": {"en": "Awful", "cy": "Ofnadwy"},
                "high": {"en": "Great", "cy": "Gwych"},
            },
        ),
        _q("ok", "yesno", "All right?", "Iawn?"),
        _q("count", "number", "How many?", "Faint?", min=1.0),
        _q("words", "text", "Tell us more.", "Dywedwch fwy."),
        _q("when", "date", "When did you last go?", "Pryd aethoch chi ddiwethaf?", optional=True),
    ),
)


class Parent(Family):
    """A family whose storage also keeps consultation answers, as `RecordAnswer` asks."""

    def __init__(self, channel: Channel = Channel.SMS, language: str = "en") -> None:
        super().__init__(channel)
        self.contact = replace(
            self.contact,
            community_id="bettws",
            language=language,
            status=ContactStatus.ACTIVE,
            consent_version="2026-11",
            is_new=False,
        )
        self.recorded: list[fx.RecordAnswer] = []

    def start(self, consultation: Consultation = PLAY_PARK) -> list[OutgoingMessage]:
        self.contact = replace(self.contact, consultation=consultation)
        result = flow.begin(Ctx(ENGINE.config, self.contact, self.now), consultation)
        self.last = [e.message for e in result.effects if isinstance(e, fx.Reply)]
        self._apply(result)
        return self.last

    def at(self, question_id: str, consultation: Consultation = PLAY_PARK) -> None:
        """Jump straight to a question, as if the earlier ones were answered."""
        self.contact = replace(self.contact, consultation=consultation)
        result = flow.resume(Ctx(ENGINE.config, self.contact, self.now), consultation, question_id)
        self.last = [e.message for e in result.effects if isinstance(e, fx.Reply)]
        self._apply(result)

    def _apply(self, result: fx.StepResult) -> None:
        self.recorded += [e for e in result.effects if isinstance(e, fx.RecordAnswer)]
        super()._apply(result)

    @property
    def answers(self) -> dict[str, str | None]:
        return {r.question_id: r.value for r in self.recorded}

    @property
    def shown(self) -> str:
        """The last messages as the parent's phone shows them."""
        if self.channel is Channel.SMS:
            return "\n\n".join(render_sms(m) for m in self.last)
        return "\n\n".join(render_telegram(m).text for m in self.last)

    @property
    def buttons(self) -> list[str]:
        return [c.label for c in self.last[-1].choices]

    def tap(self, value: str, question: str | None = None, cid: str | None = None) -> None:
        """Press the button `c:{cid}:{question}:{value}` (by default, of the open question)."""
        state = self.contact.state
        self.send(choice=f"c:{cid or state.data['c']}:{question or state.step}:{value}")


# The intro and the first question


def test_the_launch_sends_the_intro_then_the_first_question() -> None:
    parent = Parent()
    intro, first = parent.start()
    assert intro.kind is first.kind is MessageKind.PROACTIVE
    assert intro.choices == ()
    assert intro.text.startswith("What would make the play park better?\n\nHello from Bettws")
    # Seven questions on either path through the skip logic, so no "up to".
    assert intro.text.endswith(
        "There are 7 questions. You can skip the optional ones by replying SKIP."
    )
    assert render_sms(first) == (
        "Do you use the play park in Bettws with your children?\n\n1 Yes\n2 No\n\n"
        "Reply with a number."
    )
    assert parent.contact.state == flow.state_for(PLAY_PARK, "uses")


def test_telegram_intro_mentions_the_skip_button_and_questions_are_buttons() -> None:
    parent = Parent(Channel.TELEGRAM)
    intro, first = parent.start()
    assert intro.text.endswith("You can skip the optional ones with the Skip button.")
    rendering = render_telegram(first)
    assert rendering.text == "Do you use the play park in Bettws with your children?"
    assert rendering.buttons == ((("Yes", "c:play-park:uses:yes"), ("No", "c:play-park:uses:no")),)


def test_the_count_says_up_to_when_paths_differ_and_one_when_there_is_one() -> None:
    uneven = replace(
        PLAY_PARK,
        questions=(
            replace(PLAY_PARK.questions[0], options=(Option("yes", {"en": "Yes"}, "end"),)),
            *PLAY_PARK.questions[1:],
        ),
    )
    assert "There are up to 7 questions." in flow.intro(_ctx(), uneven).text
    single = replace(ALL_TYPES, questions=ALL_TYPES.questions[:1])
    assert flow.intro(_ctx(), single).text.endswith("There is just one question.")


def _ctx(channel: Channel = Channel.SMS, language: str = "en", **contact: object) -> Ctx:
    parent = Parent(channel, language)
    return Ctx(ENGINE.config, replace(parent.contact, **contact), NOW)  # type: ignore[arg-type]


# Skip logic and a whole consultation


def test_no_to_using_the_park_jumps_to_why_not_then_to_help() -> None:
    parent = Parent()
    parent.start()
    parent.send("2")
    assert parent.recorded == [fx.RecordAnswer("play-park", "uses", "no", "why-not")]
    assert parent.shown.startswith("What stops you using it?\n\n1 It is too far away")
    parent.send("I don't feel safe there")
    assert parent.recorded[-1] == fx.RecordAnswer("play-park", "why-not", "unsafe", "help")
    assert parent.contact.state.step == "help"


def test_yes_goes_to_how_often_then_help() -> None:
    parent = Parent()
    parent.start()
    parent.send("yes")
    assert parent.recorded == [fx.RecordAnswer("play-park", "uses", "yes", "how-often")]
    parent.send("Once or twice a week")
    assert parent.recorded[-1] == fx.RecordAnswer("play-park", "how-often", "weekly", "help")


SMS_REPLIES = ["1", "2", "2 and 3", "4", "3 children", "Swings need fixing!", "yes"]
EXPECTED = {
    "uses": "yes",
    "how-often": "weekly",
    "help": "baby-swings,toilets",
    "safety": "4",
    "children": "3",
    "ideas": "Swings need fixing!",
    "follow-up": "yes",
}


def test_a_whole_consultation_by_sms() -> None:
    parent = Parent()
    parent.start()
    for text in SMS_REPLIES:
        parent.send(text)
    assert parent.answers == EXPECTED
    assert parent.recorded[-1].next_question_id is None
    assert [r.next_question_id for r in parent.recorded[:-1]] == list(EXPECTED)[1:]
    assert parent.shown == (
        "Thank you, that's everything. Your answers help make Bettws's services better "
        "for families."
    )
    assert parent.contact.state == IDLE


def _by_buttons(parent: Parent) -> None:
    parent.start()
    parent.tap("yes")
    parent.tap("weekly")
    parent.tap("toilets")  # out of order: still stored in option order
    parent.tap("baby-swings")
    parent.tap("done")
    parent.tap("4")
    parent.send("3 children")
    parent.send("Swings need fixing!")
    parent.tap("yes")


def test_telegram_buttons_and_sms_text_store_the_same_answers() -> None:
    sms, telegram = Parent(), Parent(Channel.TELEGRAM)
    sms.start()
    for text in SMS_REPLIES:
        sms.send(text)
    _by_buttons(telegram)
    assert telegram.recorded == sms.recorded
    assert telegram.answers == EXPECTED
    assert telegram.contact.state == IDLE


# Each type, by text and by button


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1", "yes"),
        ("one", "yes"),
        ("un", "yes"),
        ("Ydw", "yes"),
        ("ie", "yes"),
        ("No", "no"),
        ("nac ydw", "no"),
        ("2", "no"),
        ("nope", "no"),
    ],
)
def test_choice_answers_are_read_forgivingly(text: str, stored: str) -> None:
    parent = Parent()
    parent.start()
    parent.send(text)
    assert parent.answers == {"uses": stored}


@pytest.mark.parametrize(
    "text",
    ["2,3", "2, 3", "2 and 3", "3 2", "dau a tri", "two & three", "Baby swings and toilets"],
)
def test_multi_by_sms_in_many_ways(text: str) -> None:
    parent = Parent()
    parent.at("help")
    parent.send(text)
    assert parent.answers == {"help": "baby-swings,toilets"}
    assert parent.contact.state.step == "safety"


def test_multi_on_sms_asks_for_numbers_without_a_done_or_skip_number() -> None:
    parent = Parent()
    parent.at("help")
    assert parent.shown.endswith(
        "5 Better lighting\n6 A fence round the play area\n\n"
        "Reply with all the numbers that apply, like 1,3."
    )
    assert "Done" not in parent.shown


def test_multi_on_telegram_toggles_then_done_records() -> None:
    parent = Parent(Channel.TELEGRAM)
    parent.at("help")
    assert parent.buttons[-1] == "Done"
    assert parent.shown.endswith("Press each one that applies, then Done.")
    parent.tap("shade")
    parent.tap("toilets")
    assert parent.recorded == []
    assert parent.shown.endswith("Chosen so far: More shade, Toilets. Choose more, or press Done.")
    assert parent.buttons[:3] == ["✓ More shade", "Baby swings", "✓ Toilets"]
    parent.tap("shade")  # changed their mind
    assert parent.shown.endswith("Chosen so far: Toilets. Choose more, or press Done.")
    parent.tap("done")
    assert parent.recorded == [fx.RecordAnswer("play-park", "help", "toilets", "safety")]


def test_done_with_nothing_chosen_asks_again() -> None:
    parent = Parent(Channel.TELEGRAM)
    parent.at("help")
    parent.tap("done")
    assert parent.recorded == []
    assert parent.shown.startswith("Sorry, I didn't catch that. Please choose at least one")
    assert parent.contact.state.step == "help"


def test_typing_on_telegram_works_as_on_sms_even_mid_toggle() -> None:
    parent = Parent(Channel.TELEGRAM)
    parent.at("help")
    parent.tap("shade")
    parent.send("1 and 6")
    assert parent.answers == {"help": "shade,fence"}


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1", "1"),
        ("5", "5"),
        ("five", "5"),
        ("pedwar", "4"),
        ("Very safe", "5"),
        ("not safe at all", "1"),
        ("Diogel iawn", "5"),
    ],
)
def test_scale_by_sms(text: str, stored: str) -> None:
    parent = Parent()
    parent.at("safety")
    assert parent.shown.endswith("Reply with a number from 1 (Not safe at all) to 5 (Very safe).")
    parent.send(text)
    assert parent.answers == {"safety": stored}


def test_scale_on_telegram_has_labelled_ends() -> None:
    parent = Parent(Channel.TELEGRAM)
    parent.at("safety")
    assert parent.buttons == ["1 Not safe at all", "2", "3", "4", "5 Very safe"]
    parent.press("2")
    assert parent.answers == {"safety": "2"}


def test_an_out_of_range_scale_answer_lists_the_numbers() -> None:
    parent = Parent()
    parent.at("safety")
    parent.send("6")
    assert parent.shown.startswith(
        "Sorry, I didn't catch that. Please reply with 1, 2, 3, 4 or 5.\n\nHow safe do you feel"
    )
    assert parent.recorded == []


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("yes", "yes"),
        ("Y", "yes"),
        ("ie", "yes"),
        ("👍", "yes"),
        ("1", "yes"),
        ("no", "no"),
        ("Na", "no"),
        ("no thanks", "no"),
        ("2", "no"),
    ],
)
def test_yes_no_by_text(text: str, stored: str) -> None:
    parent = Parent()
    parent.at("follow-up")
    assert parent.shown.endswith(
        "Would you like us to tell you what happens next?\n\nReply Yes or No."
    )
    parent.send(text)
    assert parent.answers == {"follow-up": stored}
    assert parent.recorded[-1].next_question_id is None


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("3", "3"),
        ("three", "3"),
        (" 3 children", "3"),
        ("none", "0"),
        ("0", "0"),
        ("10", "10"),
        ("2.5", "2.5"),
        ("just the one", "1"),
        ("dau", "2"),
    ],
)
def test_numbers_by_text(text: str, stored: str) -> None:
    parent = Parent()
    parent.at("children")
    assert parent.shown.endswith("Reply with a number from 0 to 10.")
    parent.send(text)
    assert parent.answers == {"children": stored}


@pytest.mark.parametrize(
    ("text", "lead"),
    [
        ("11", "Sorry, that number is too high."),
        ("-1", "Sorry, that number is too low."),
        ("lots", "Sorry, I didn't catch that."),
        ("2 or 3", "Sorry, I didn't catch that."),
    ],
)
def test_numbers_out_of_range_or_unclear_say_the_range(text: str, lead: str) -> None:
    parent = Parent()
    parent.at("children")
    parent.send(text)
    assert parent.shown.startswith(f"{lead} Please reply with a number from 0 to 10.\n\nHow many")
    assert parent.recorded == []


def test_a_number_with_only_a_minimum() -> None:
    parent = Parent()
    parent.at("count", ALL_TYPES)
    assert parent.shown.endswith("Reply with a number of 1 or more.")
    parent.send("0")
    assert parent.shown.startswith("Sorry, that number is too low. Please reply with a number of 1")
    parent.send("12")
    assert parent.answers == {"count": "12"}


def test_text_is_stored_exactly_as_written() -> None:
    parent = Parent()
    parent.at("words", ALL_TYPES)
    parent.send("  More swings, please 🙂\nand a bench ")
    assert parent.answers == {"words": "  More swings, please 🙂\nand a bench "}


def test_an_empty_text_answer_is_unclear() -> None:
    parent = Parent()
    parent.at("words", ALL_TYPES)
    parent.send("   ")
    assert parent.shown.startswith("Sorry, I didn't catch that. Please type your answer.")
    assert parent.recorded == []


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("12/03/2025", "2025-03-12"),
        ("12 Mawrth 2025", "2025-03-12"),
        ("yesterday", "2026-03-09"),
        ("March 2025", "2025-03"),
    ],
)
def test_dates_are_stored_in_iso_form(text: str, stored: str) -> None:
    parent = Parent()
    parent.at("when", ALL_TYPES)
    assert "Reply with a date, for example 10/03/2026 or 10 March 2026." in parent.shown
    parent.send(text)
    assert parent.answers == {"when": stored}


def test_an_unreadable_date_says_so_and_asks_again() -> None:
    parent = Parent()
    parent.at("when", ALL_TYPES)
    parent.send("last summer sometime")
    assert parent.shown.startswith("Sorry, I couldn't read that date.\n\nWhen did you last go?")


# Skipping, misses and stale buttons


@pytest.mark.parametrize("text", ["SKIP", "skip", "Skip.", "hepgor", "skip this one"])
def test_optional_questions_can_be_skipped_by_text(text: str) -> None:
    parent = Parent()
    parent.at("ideas")
    assert parent.shown.endswith("Reply SKIP to skip.")
    parent.send(text)
    assert parent.recorded == [fx.RecordAnswer("play-park", "ideas", None, "follow-up")]


def test_optional_questions_have_a_skip_button_on_telegram_only() -> None:
    telegram = Parent(Channel.TELEGRAM)
    telegram.at("ideas")
    assert telegram.buttons == ["Skip"]
    telegram.press("Skip")
    assert telegram.answers == {"ideas": None}
    sms = Parent()
    sms.at("ideas")
    assert sms.last[-1].choices == ()


def test_a_required_question_offers_skipping_after_two_misses() -> None:
    parent = Parent()
    parent.start()
    parent.send("SKIP")  # not optional: unclear, and nothing is stored
    assert parent.recorded == []
    assert parent.shown.startswith("Sorry, I didn't catch that. Please reply with 1 or 2.\n\n")
    assert "skip this question" not in parent.shown
    parent.send("banana")
    assert parent.shown.endswith(
        "Reply with a number. You can also skip this question: reply SKIP."
    )
    parent.send("skip")
    assert parent.recorded == [fx.RecordAnswer("play-park", "uses", None, "how-often")]
    assert parent.contact.state.data == {"c": "play-park"}  # misses reset for the next question


def test_on_telegram_the_skip_button_appears_after_two_misses() -> None:
    parent = Parent(Channel.TELEGRAM)
    parent.at("safety")
    parent.send("dunno")
    assert parent.shown.startswith("Sorry, I didn't catch that. Please press one of the buttons.")
    assert "Skip" not in parent.buttons
    parent.send("dunno")
    assert parent.buttons[-1] == "Skip"
    assert parent.shown.endswith("You can also skip this question.")
    parent.press("Skip")
    assert parent.answers == {"safety": None}


@pytest.mark.parametrize(
    "choice",
    [
        "c:play-park:how-often:weekly",
        "c:old-survey:uses:yes",
        "c:play-park:uses:maybe",
        "lang:en",
        "c:play-park:uses:skip",
        "nonsense",
    ],
)
def test_a_stale_button_asks_the_current_question_again_without_a_miss(choice: str) -> None:
    parent = Parent(Channel.TELEGRAM)
    parent.start()
    parent.send(choice=choice)
    assert parent.recorded == []
    assert parent.shown == (
        "That button is from an older message.\n\n"
        "Do you use the play park in Bettws with your children?"
    )
    assert parent.contact.state == flow.state_for(PLAY_PARK, "uses")


# Closed, deleted, keywords


@pytest.mark.parametrize("closed", ["by staff", "by date"])
def test_a_closed_consultation_records_nothing(closed: str) -> None:
    parent = Parent()
    parent.start()
    if closed == "by staff":
        parent.contact = replace(parent.contact, consultation_closed=True)
    else:
        parent.now = datetime(2027, 3, 31, 16, 0, tzinfo=NOW.tzinfo)
    parent.send("1")
    assert parent.recorded == []
    assert parent.shown == (
        "Thank you, but this consultation has now closed, so we couldn't record your answer."
    )
    assert parent.contact.state == IDLE


def test_just_before_closing_time_answers_still_count() -> None:
    parent = Parent()
    parent.start()
    parent.now = datetime(2027, 3, 31, 15, 59, tzinfo=NOW.tzinfo)
    parent.send("1")
    assert parent.answers == {"uses": "yes"}


def test_a_deleted_consultation_apologises_and_records_nothing() -> None:
    parent = Parent()
    parent.start()
    parent.contact = replace(parent.contact, consultation=None)
    parent.send("1")
    assert parent.recorded == []
    assert parent.shown == "Sorry, that consultation is no longer running."
    assert parent.contact.state == IDLE


def test_stop_mid_consultation_stores_nothing_and_help_repeats_the_question() -> None:
    parent = Parent()
    parent.start()
    parent.send("HELP")
    assert parent.last[-1].text.startswith("Do you use the play park in Bettws")
    assert parent.contact.state == flow.state_for(PLAY_PARK, "uses")
    parent.send("STOP")
    assert parent.recorded == []
    assert parent.contact.status is ContactStatus.OPTED_OUT
    assert parent.contact.state == IDLE


# Welsh


def test_a_welsh_parent_gets_welsh_questions_and_re_prompts() -> None:
    parent = Parent(language="cy")
    intro, first = parent.start()
    assert intro.text.endswith(
        "Mae 7 cwestiwn. Gallwch chi hepgor y rhai dewisol drwy ateb HEPGOR."
    )
    assert first.text.startswith("Ydych chi'n defnyddio'r parc chwarae ym Metws")
    assert "1 Ydw\n2 Nac ydw" in parent.shown
    parent.send("efallai")
    assert parent.shown.startswith(
        "Mae'n ddrwg gen i, wnes i ddim deall hynny. Atebwch gyda 1 neu 2.\n\nYdych chi"
    )
    parent.send("ie")
    assert parent.answers == {"uses": "yes"}
    parent.at("ideas")
    parent.send("HEPGOR")
    assert parent.answers["ideas"] is None
    parent.send("ydw")
    assert parent.shown.startswith("Diolch, dyna'r cyfan.")


def test_welsh_yes_no_buttons_on_telegram() -> None:
    parent = Parent(Channel.TELEGRAM, "cy")
    parent.at("follow-up")
    assert parent.buttons == ["Ie", "Na"]
    parent.press("Na")
    assert parent.answers == {"follow-up": "no"}


def test_a_consultation_without_the_parents_language_is_all_in_english() -> None:
    english_only = replace(ALL_TYPES, title={"en": "All kinds"})
    parent = Parent(language="cy")
    parent.at("pick", english_only)
    assert parent.shown.startswith("Let's carry on with: All kinds\n\nWhich one?")
    assert parent.shown.endswith("Reply with a number.")


# Reminders and resuming


def test_a_reminder_is_gentle_and_carries_the_question() -> None:
    message = flow.reminder(_ctx(), PLAY_PARK, "safety")
    assert message.kind is MessageKind.PROACTIVE
    assert message.text.startswith(
        "What would make the play park better?\n\n"
        "If you have a minute, we'd still love to hear what you think.\n\n"
        "How safe do you feel"
    )
    assert len(message.choices) == 5


def test_resume_carries_on_at_that_question() -> None:
    result = flow.resume(_ctx(Channel.TELEGRAM), PLAY_PARK, "help")
    assert result.state == flow.state_for(PLAY_PARK, "help")
    (reply,) = result.effects
    assert isinstance(reply, fx.Reply)
    assert reply.message.text.startswith(
        "Let's carry on with: What would make the play park better?\n\nWhat would make the park"
    )
    assert reply.message.choices[-1].id == "c:play-park:help:done"


def test_every_button_fits_telegrams_limit() -> None:
    for consultation in (PLAY_PARK, ALL_TYPES):
        for question in consultation.questions:
            state = replace(flow.state_for(consultation, question.id), data={"c": "x", "miss": 2})
            ctx = _ctx(Channel.TELEGRAM)
            render_telegram(put.question_message(ctx, consultation, question, state))


# Any text, any question


def _valid(question: Question, value: str | None) -> bool:
    if value is None:
        return True
    ids = [o.id for o in question.options]
    if question.type == "choice":
        return value in ids
    if question.type == "multi":
        picked = value.split(",")
        return bool(picked) and picked == [i for i in ids if i in picked]
    if question.type == "scale":
        return value in {"1", "2", "3", "4", "5"}
    if question.type == "yesno":
        return value in {"yes", "no"}
    if question.type == "number":
        number = Decimal(value)
        low = Decimal(-(10**20)) if question.min is None else Decimal(str(question.min))
        high = Decimal(10**20) if question.max is None else Decimal(str(question.max))
        return low <= number <= high and "E" not in value
    if question.type == "date":
        return len(value) == 7 or isinstance(date.fromisoformat(value), date)
    return bool(value.strip())


QUESTIONS = [(c, q) for c in (PLAY_PARK, ALL_TYPES) for q in c.questions]
WORDS = st.sampled_from(
    [
        "1",
        "2",
        "3, 2",
        "skip",
        "hepgor",
        "yes",
        "na",
        "ten",
        "-4",
        "2.5",
        "1e9",
        "12/03/2025",
        "",
        " ",
        "🙂",
        "Toilets",
        "x" * 5000,
        "9" * 40,
        "1,000",
        "٣",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pair=st.sampled_from(QUESTIONS),
    text=st.one_of(WORDS, st.text(max_size=200)),
    misses=st.integers(0, 3),
    channel=st.sampled_from(list(Channel)),
    language=st.sampled_from(["en", "cy"]),
)
def test_any_text_to_any_question_records_a_valid_answer_or_asks_again(
    pair: tuple[Consultation, Question], text: str, misses: int, channel: Channel, language: str
) -> None:
    consultation, question = pair
    ctx = _ctx(channel, language, consultation=consultation)
    state = ConversationState(flow.FLOW, question.id, {"c": consultation.id, "miss": misses})
    result = flow.FLOW_OBJECT.handle(ctx, state, Answer(text))
    records = [e for e in result.effects if isinstance(e, fx.RecordAnswer)]
    replies = [e.message for e in result.effects if isinstance(e, fx.Reply)]
    assert replies and all(r.text.strip() for r in replies)
    if records:
        (record,) = records
        assert _valid(question, record.value)
        assert record.value is not None or question.optional or misses >= 2
        assert result.state.step == record.next_question_id
    else:
        assert result.state.step == question.id
        assert result.state.data["miss"] == misses + 1
        asked = put.question_message(ctx, consultation, question, result.state)
        assert replies[-1].text.endswith(asked.text)


def test_reading_the_clock_uses_the_communitys_day() -> None:
    # 23:30 UTC on 31 May is already 1 June in London: "today" is the parent's today.
    parent = Parent()
    parent.now = datetime(2026, 5, 31, 23, 30, tzinfo=NOW.tzinfo)
    parent.at("when", ALL_TYPES)
    parent.send("today")
    assert parent.answers == {"when": (date(2026, 5, 31) + timedelta(days=1)).isoformat()}


def _buttons(consultation: Consultation, question: Question) -> list[str]:
    values = [o.id for o in question.options] + ["1", "5", "9", "yes", "no", "skip", "done", "x"]
    return [f"c:{consultation.id}:{question.id}:{v}" for v in values]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), pair=st.sampled_from(QUESTIONS), misses=st.integers(0, 3))
def test_any_button_to_any_question_records_toggles_or_asks_again(
    data: st.DataObject, pair: tuple[Consultation, Question], misses: int
) -> None:
    consultation, question = pair
    presses = st.sampled_from(_buttons(consultation, question)) | st.text(max_size=70)
    picked = data.draw(st.lists(st.sampled_from([o.id for o in question.options] or ["x"])))
    choice = data.draw(presses)
    ctx = _ctx(Channel.TELEGRAM, consultation=consultation)
    state = ConversationState(
        flow.FLOW, question.id, {"c": consultation.id, "miss": misses, "picked": picked}
    )
    result = flow.FLOW_OBJECT.handle(ctx, state, Answer("", choice))
    records = [e for e in result.effects if isinstance(e, fx.RecordAnswer)]
    assert [e for e in result.effects if isinstance(e, fx.Reply)]
    if records:
        (record,) = records
        assert _valid(question, record.value)
        assert record.value is not None or question.optional or misses >= 2
    else:
        assert result.state.step == question.id
        assert result.state.data["miss"] in (misses, misses + 1)
