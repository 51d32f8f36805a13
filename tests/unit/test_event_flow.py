"""Events in the pure engine: announcements, RSVPs by button, number or word, and EVENTS."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.event_yaml import load
from conversations import effects as fx
from conversations.engine import Engine
from conversations.events.model import Event, rsvp_data
from conversations.flows import event_messages as say
from conversations.flows import events as flow
from conversations.flows.base import Answer, Ctx
from conversations.keywords import Keyword, match_keyword
from conversations.render import render_sms, render_telegram
from conversations.sms import is_gsm7
from conversations.types import (
    IDLE,
    Channel,
    ContactSnapshot,
    ContactStatus,
    EventView,
    MessageKind,
)
from tests.unit.family import ENGINE, NOW, ROOT, Family, onboarded


def _rhyme_time() -> Event:
    event, problems = load(ROOT / "examples/events/rhyme-time.yaml")
    assert event is not None, problems
    return event


RHYME = _rhyme_time()
CLINIC = Event(
    id="feltham-clinic",
    title={"en": "Baby clinic", "cy": "Clinig babanod"},
    description={"en": "Weigh your baby and ask anything.", "cy": "Pwyso'ch babi."},
    starts_at=RHYME.starts_at - timedelta(days=30),
    ends_at=RHYME.starts_at - timedelta(days=30) + timedelta(hours=1),
    venue={"en": "Feltham Library", "cy": "Llyfrgell Feltham"},
    community="feltham",
)
YES, MAYBE, NO = (rsvp_data(RHYME.id, a) for a in ("yes", "maybe", "no"))  # type: ignore[arg-type]


class EventFamily(Family):
    """A Family that also keeps each RSVP, as storage would, in its upcoming events."""

    def __init__(self, family: Family, *views: EventView) -> None:
        self.__dict__.update(family.__dict__)
        self.contact = replace(family.contact, events=views)
        self.effects: list[fx.Effect] = []

    def _apply(self, result: fx.StepResult) -> None:
        self.effects = list(result.effects)
        super()._apply(result)
        answers = {e.event_id: e.answer for e in result.effects if isinstance(e, fx.RecordRsvp)}
        views = tuple(
            replace(v, my_answer=answers.get(v.event.id, v.my_answer)) for v in self.contact.events
        )
        self.contact = replace(self.contact, events=views)

    @property
    def rsvps(self) -> list[str]:
        return [e.answer for e in self.effects if isinstance(e, fx.RecordRsvp)]

    @property
    def calendars(self) -> list[str]:
        return [e.event_id for e in self.effects if isinstance(e, fx.SendCalendar)]


def _parent(
    language: str = "en",
    channel: Channel = Channel.SMS,
    places_left: int | None = 5,
    my_answer: str | None = None,
) -> EventFamily:
    family = onboarded(language, "bettws")
    family.channel = channel
    family.contact = replace(family.contact, channel=channel)
    return EventFamily(family, EventView(RHYME, places_left, my_answer))


def _ctx(language: str, channel: Channel = Channel.SMS) -> Ctx:
    contact = ContactSnapshot(
        id=1,
        channel=channel,
        community_id="bettws",
        language=language,
        status=ContactStatus.ACTIVE,
        events=(EventView(RHYME, 5),),
    )
    return Ctx(ENGINE.config, contact, NOW)


def test_the_announcement_on_sms_in_welsh_numbers_ie_efallai_na() -> None:
    message = say.announcement(_ctx("cy"), RHYME)
    assert message.kind is MessageKind.PROACTIVE
    sms = render_sms(message)
    assert sms.startswith("Amser rhigwm yn Llyfrgell Bettws\n\nDydd Mawrth 9 Mawrth, 10:00-10:45")
    assert "Llyfrgell Bettws, Casnewydd." in sms
    assert "Caneuon, rhigymau" in sms
    assert "Allwch chi ddod?\n\n1 Ie\n2 Efallai\n3 Na" in sms


def test_the_announcement_on_telegram_has_rsvp_buttons() -> None:
    message = say.announcement(_ctx("en", Channel.TELEGRAM), RHYME)
    rendering = render_telegram(message)
    buttons = [b for row in rendering.buttons for b in row]
    assert buttons == [("Yes", YES), ("Maybe", MAYBE), ("No", NO)]
    assert "Tuesday 9 March, 10:00–10:45 at Bettws Library, Newport." in rendering.text
    assert rendering.text.endswith("Can you come?")


def test_reminders_changes_cancellations_and_freed_places_read_well() -> None:
    en, cy = _ctx("en"), _ctx("cy")
    reminder = say.reminder(en, RHYME)
    assert reminder.text == (
        "Reminder: Rhyme time at Bettws Library is Tuesday 9 March, 10:00-10:45 at Bettws "
        "Library, Newport. If you can't come any more, reply NO so someone else can have "
        "your place."
    )
    assert [c.id for c in reminder.choices] == [NO]
    assert render_sms(reminder) == reminder.text  # the button is for Telegram only
    assert say.reminder(cy, RHYME).choices[0].label == "Methu dod"
    changed = say.changed(en, RHYME)
    assert changed.text.startswith("Rhyme time at Bettws Library has changed: it is now Tuesday")
    assert [c.id for c in changed.choices] == [YES, MAYBE, NO]
    assert say.cancelled(cy, RHYME).text == (
        "Mae'n ddrwg gen i, mae Amser rhigwm yn Llyfrgell Bettws (Dydd Mawrth 9 Mawrth, "
        "10:00-10:45) wedi'i ganslo."
    )
    freed = say.place_freed(en, RHYME)
    assert freed.text.startswith("Good news: a place has come up at Rhyme time")
    assert "reply NO" in freed.text and [c.id for c in freed.choices] == [NO]
    for message in (reminder, changed, freed, say.cancelled(en, RHYME)):
        assert message.kind is MessageKind.PROACTIVE
        assert is_gsm7(render_sms(message))  # no en dash: an English SMS stays GSM-7


def test_yes_books_with_a_calendar_file_on_telegram_only() -> None:
    telegram = _parent(channel=Channel.TELEGRAM)
    telegram.send(choice=YES)
    assert telegram.rsvps == ["yes"] and telegram.calendars == [RHYME.id]
    assert telegram.text.startswith(
        "You're booked for Rhyme time at Bettws Library, Tuesday 9 March, 10:00–10:45 at "
        "Bettws Library, Newport. We'll remind you the day before."
    )
    assert "calendar" in telegram.text
    sms = _parent()
    sms.contact = replace(sms.contact, state=flow.state_for(RHYME))
    sms.send("1")
    assert sms.rsvps == ["yes"] and sms.calendars == []
    assert "calendar" not in sms.text
    assert sms.contact.state == IDLE


def test_a_full_event_puts_a_yes_on_the_waiting_list() -> None:
    family = _parent(channel=Channel.TELEGRAM, places_left=0)
    family.send(choice=YES)
    assert family.rsvps == ["waitlist"] and family.calendars == []
    assert "full" in family.text and "waiting list" in family.text
    booked = _parent(channel=Channel.TELEGRAM, places_left=0, my_answer="yes")
    booked.send(choice=YES)  # already booked: still booked, not moved to the waiting list
    assert booked.rsvps == ["yes"] and "booked" in booked.text


@pytest.mark.parametrize(
    ("choice", "answer", "words"), [(MAYBE, "maybe", "might come"), (NO, "no", "can't come")]
)
def test_maybe_and_no_are_recorded_warmly(choice: str, answer: str, words: str) -> None:
    family = _parent(channel=Channel.TELEGRAM, my_answer="yes")
    family.send(choice=choice)
    assert family.rsvps == [answer] and family.calendars == []
    assert words in family.text and "Rhyme time at Bettws Library" in family.text


@pytest.mark.parametrize(
    ("language", "text", "answer"),
    [
        ("en", "1", "yes"),
        ("en", "2", "maybe"),
        ("en", "3", "no"),
        ("en", "Yes!", "yes"),
        ("en", "yes please", "yes"),
        ("en", "maybe", "maybe"),
        ("en", "not sure", "maybe"),
        ("en", "no", "no"),
        ("en", "Can't come", "no"),
        ("en", "ie", "yes"),  # a Welsh word from an English speaker still counts
        ("cy", "Ie", "yes"),
        ("cy", "ydw", "yes"),
        ("cy", "Dw i'n dod", "yes"),
        ("cy", "efallai", "maybe"),
        ("cy", "Falle", "maybe"),
        ("cy", "Na", "no"),
        ("cy", "methu dod", "no"),
        ("cy", "tri", "no"),
        ("cy", "yes", "yes"),
    ],
)
def test_sms_replies_by_number_or_word_in_either_language(
    language: str, text: str, answer: str
) -> None:
    family = _parent(language)
    family.contact = replace(family.contact, state=flow.state_for(RHYME))
    family.send(text)
    assert family.rsvps == [answer]
    assert family.contact.state == IDLE


def test_a_welsh_yes_is_answered_in_welsh() -> None:
    family = _parent("cy")
    family.contact = replace(family.contact, state=flow.state_for(RHYME))
    family.send("1")
    assert family.text.startswith("Mae lle wedi'i gadw i chi ar gyfer Amser rhigwm")


def test_an_unclear_reply_is_asked_again_once_then_the_parent_is_let_go() -> None:
    family = _parent()
    family.contact = replace(family.contact, state=flow.state_for(RHYME))
    family.send("what time is it?")
    assert family.rsvps == []
    assert family.text.startswith("Sorry, I didn't understand that.\n\nCan you come to Rhyme")
    assert [c.id for c in family.last[-1].choices] == [YES, MAYBE, NO]
    assert family.contact.state.flow == flow.FLOW
    family.send("hmm")
    assert family.rsvps == []
    assert family.text == "No problem. Send EVENTS any time to reply."
    assert family.contact.state == IDLE
    assert family.inbox == ["hmm"]


def test_welsh_parents_are_told_the_welsh_keyword() -> None:
    family = _parent("cy")
    family.contact = replace(family.contact, state=flow.state_for(RHYME))
    family.send("be?")
    family.send("hmm")
    assert "DIGWYDDIADAU" in family.text


def test_events_lists_upcoming_events_and_picking_one_offers_rsvp() -> None:
    family = _parent()
    later = dataclasses.replace(
        RHYME,
        id="later",
        starts_at=RHYME.starts_at + timedelta(days=7),
        ends_at=RHYME.ends_at + timedelta(days=7),
    )
    family.contact = replace(
        family.contact, events=(EventView(later, None), *family.contact.events)
    )
    family.send("EVENTS")
    sms = render_sms(family.last[-1])
    assert sms.startswith("Upcoming events in Bettws:\n\n1 Rhyme time at Bettws Library, Tuesday")
    assert "2 Rhyme time at Bettws Library, Tuesday 16 March, 10:00" in sms
    assert family.contact.state.step == "pick"
    family.send("2")
    assert family.contact.state == flow.state_for(later)
    assert family.text.endswith("Can you come?")
    assert [c.id for c in family.last[-1].choices] == [
        rsvp_data("later", a) for a in ("yes", "maybe", "no")
    ]
    family.send("yes")
    assert family.rsvps == ["yes"] and family.contact.state == IDLE


def test_events_in_welsh_with_buttons_and_how_the_parent_stands() -> None:
    family = _parent("cy", Channel.TELEGRAM, places_left=0, my_answer="waitlist")
    family.send("Digwyddiadau")
    assert family.text == "Digwyddiadau i ddod yn Bettws:"
    family.press(f"ev:{RHYME.id}")
    assert "Rydych chi ar y rhestr aros ar gyfer hwn." in family.text
    family.press(YES)
    assert family.rsvps == ["waitlist"]


def test_events_when_there_are_none() -> None:
    family = EventFamily(onboarded())
    family.send("event")
    assert family.text == (
        "There are no upcoming events in Feltham right now. We'll let you know when there are."
    )
    assert family.contact.state == IDLE


def test_a_passed_or_cancelled_event() -> None:
    family = _parent(channel=Channel.TELEGRAM)
    family.send("children")
    menu = family.contact.state
    family.send(choice=rsvp_data("gone-event", "yes"))
    assert family.text == "Sorry, that event has passed or been cancelled."
    assert family.contact.state == menu and family.rsvps == []
    sms = _parent()
    sms.contact = replace(sms.contact, state=flow.state_for(CLINIC))  # no longer in the list
    sms.send("1")
    assert sms.text == "Sorry, that event has passed or been cancelled."
    assert sms.contact.state == IDLE and sms.rsvps == []
    listed = _parent()
    listed.send("events")
    listed.contact = replace(listed.contact, events=())
    listed.send("1")
    assert listed.text == "Sorry, that event has passed or been cancelled."


@pytest.mark.parametrize("opening", ["children", "tips", "language"])
def test_an_rsvp_button_in_the_middle_of_another_flow_keeps_it(opening: str) -> None:
    family = _parent(channel=Channel.TELEGRAM)
    family.send(opening)
    before = family.contact.state
    assert before.flow not in (None, flow.FLOW)
    family.send(choice=MAYBE)
    assert family.rsvps == ["maybe"]
    assert family.contact.state == before


def test_rsvp_buttons_do_nothing_for_a_parent_who_has_stopped() -> None:
    family = _parent(channel=Channel.TELEGRAM)
    family.send("STOP")
    family.send(choice=YES)
    assert family.rsvps == [] and "START" in family.text


@pytest.mark.parametrize("word", ["EVENTS", "event", "Digwyddiadau", "DIGWYDDIAD!"])
def test_the_events_keyword(word: str) -> None:
    assert match_keyword(word) is Keyword.EVENTS
    family = Family()
    family.send("feltham")
    family.send(word)  # not signed up yet: onboarding carries on
    assert "finish getting you set up" in family.text
    assert family.contact.status is ContactStatus.ONBOARDING


def test_help_mentions_events_in_each_language() -> None:
    family = onboarded()
    family.send("help")
    assert "EVENTS to see events near you" in family.text
    welsh = onboarded("cy", "bettws")
    welsh.send("cymorth")
    assert "DIGWYDDIADAU i weld digwyddiadau" in welsh.text


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    text=st.text(max_size=60),
    language=st.sampled_from(["en", "cy"]),
    places=st.sampled_from([None, 0, 3]),
    mine=st.sampled_from([None, "yes", "maybe", "no", "waitlist"]),
    miss=st.sampled_from([0, 1]),
)
def test_any_reply_in_the_rsvp_step_is_safe(
    text: str, language: str, places: int | None, mine: str | None, miss: int
) -> None:
    contact = ContactSnapshot(
        id=1,
        channel=Channel.SMS,
        community_id="bettws",
        language=language,
        status=ContactStatus.ACTIVE,
        events=(EventView(RHYME, places, mine),),
        state=replace(flow.state_for(RHYME), data={"e": RHYME.id, "miss": miss}),
    )
    result = flow.handle(Ctx(ENGINE.config, contact, NOW), contact.state, Answer(text))
    answers = [e.answer for e in result.effects if isinstance(e, fx.RecordRsvp)]
    assert set(answers) <= {"yes", "maybe", "no", "waitlist"} and len(answers) <= 1
    assert any(isinstance(e, fx.Reply) for e in result.effects)
    assert result.state.flow in (None, flow.FLOW)
    assert not any(isinstance(e, fx.SendCalendar) for e in result.effects)


def test_the_engine_knows_the_flow() -> None:
    assert isinstance(ENGINE, Engine)
    contact = ContactSnapshot(
        id=1,
        channel=Channel.SMS,
        community_id="bettws",
        language="en",
        status=ContactStatus.ACTIVE,
        state=flow.state_for(RHYME),
    )
    message = flow.FLOW_OBJECT.ask(Ctx(ENGINE.config, contact, NOW), contact.state)
    assert message.text == "Sorry, that event has passed or been cancelled."
