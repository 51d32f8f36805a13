"""Every state a parent can be in, reached the way a parent (or the clock) reaches it, and a
validator for what storage would then hold. Used by `test_flow_fuzz.py`."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import cache

from conversations import effects as fx
from conversations.consultations.model import Consultation
from conversations.effects import StepResult
from conversations.engine import FLOWS
from conversations.flows import birth, consultation, event_messages, events, reconsent
from conversations.flows.base import Ctx
from conversations.types import (
    Channel,
    Child,
    ContactSnapshot,
    ContactStatus,
    EventView,
    InboundKind,
    OutgoingMessage,
)
from tests.unit.family import ENGINE, NOW, Family
from tests.unit.test_consultation_flow import ALL_TYPES
from tests.unit.test_event_flow import RHYME

CONFIG = ENGINE.config
STEPS: dict[str, set[str | None]] = {
    "onboarding": {"language", "consent", "kind", "date", "name", "more", "confirm"},
    "language": {"choose"},
    "children": {"menu", "pick", "kind", "date", "name", "confirm_remove"},
    "schedule": {"day", "time"},
    "birth": {"arrived", "date"},
    "event": {"rsvp", "pick"},
    "erase": {"confirm"},
    "reconsent": {reconsent.ASK, reconsent.ASKED},
}
_child_ids = itertools.count(100)


class Home(Family):
    """A Family whose store also keeps RSVPs, gives children unique ids, and forgets a family
    that confirmed DELETE (their next message comes from a new contact, as after erasure)."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self.steps: list[StepResult] = []

    def _apply(self, result: StepResult) -> None:
        self.steps.append(result)
        if any(isinstance(e, fx.EraseContact) for e in result.effects):
            self.contact = Family(self.channel).contact
            self.erased = True
            return
        before = self.contact
        super()._apply(result)
        children = list(before.children)
        for effect in result.effects:
            if isinstance(effect, fx.AddChild):
                children.append(
                    Child(next(_child_ids), effect.nickname, effect.birth_date, effect.due_date)
                )
            elif isinstance(effect, fx.UpdateChild):
                children = [
                    Child(c.id, effect.nickname, effect.birth_date, effect.due_date)
                    if c.id == effect.child_id
                    else c
                    for c in children
                ]
            elif isinstance(effect, fx.RemoveChild):
                children = [c for c in children if c.id != effect.child_id]
        answers = {e.event_id: e.answer for e in result.effects if isinstance(e, fx.RecordRsvp)}
        views = tuple(
            replace(v, my_answer=answers.get(v.event.id, v.my_answer)) for v in self.contact.events
        )
        paused = [e.until for e in result.effects if isinstance(e, fx.PauseTips)]
        contact = replace(self.contact, children=tuple(children), events=views)
        if paused:
            contact = replace(contact, tips_paused_until=paused[-1])
        self.contact = contact

    def clock(self, result: StepResult) -> None:
        """A proactive step from the clock (a launch, an announcement): stored like a reply."""
        self.last = [e.message for e in result.effects if isinstance(e, fx.Reply)]
        self._apply(result)

    def ctx(self) -> Ctx:
        return Ctx(CONFIG, self.contact, self.now)


def _first(home: Home) -> None:
    if home.channel is Channel.TELEGRAM:
        home.send(kind=InboundKind.START, payload="bettws")
    else:
        home.send("bettws")


def _onboarding(language: str) -> list[Callable[[Home], object]]:
    return [
        _first,
        lambda h: h.press(f"lang:{language}"),
        lambda h: h.press("consent:yes"),
        lambda h: h.press("kind:born"),
        lambda h: h.send("1/5/2025"),
        lambda h: h.send("Sam"),
        lambda h: h.press("more:no"),
        lambda h: h.press("confirm:yes"),
    ]


ONBOARDING_STEPS = ("language", "consent", "kind", "date", "name", "more", "confirm")


def _onboarded(channel: Channel, language: str) -> Home:
    home = Home(channel)
    for step in _onboarding(language):
        step(home)
    assert home.contact.status is ContactStatus.ACTIVE, home.text
    return home


def _say(*lines: str) -> Callable[[Home], None]:
    def script(home: Home) -> None:
        for line in lines:
            if ":" in line and not line.startswith("/"):
                home.press(line)
            else:
                home.send(line)

    return script


def _consultation(question_id: str, closed: bool = False) -> Callable[[Home], None]:
    def script(home: Home) -> None:
        home.contact = replace(home.contact, consultation=ALL_TYPES)
        home.clock(consultation.begin(home.ctx(), ALL_TYPES))
        if question_id != ALL_TYPES.first().id:
            home.clock(consultation.resume(home.ctx(), ALL_TYPES, question_id))
        if closed:
            home.contact = replace(home.contact, consultation_closed=True)

    return script


def _announced(home: Home) -> None:
    home.contact = replace(home.contact, events=(EventView(RHYME, 3),))
    message = event_messages.announcement(home.ctx(), RHYME)
    home.clock(StepResult(events.state_for(RHYME), (fx.Reply(message),)))


def _listed(home: Home) -> None:
    home.contact = replace(home.contact, events=(EventView(RHYME, 0),))
    home.send("EVENTS")


def _due_date_passed(step: str) -> Callable[[Home], None]:
    def script(home: Home) -> None:
        due = Child(next(_child_ids), "Bump", due_date=(NOW - timedelta(days=10)).date())
        home.contact = replace(home.contact, children=(*home.contact.children, due))
        home.clock(StepResult(birth.state_for(due), (fx.Reply(birth.question(home.ctx(), due)),)))
        if step == "date":
            home.press("birth:yes")

    return script


def _notice_changed(home: Home) -> None:
    home.contact = replace(home.contact, consent_version="2025-01")
    home.send("hello")


def _tip_sent(home: Home) -> None:
    home.contact = replace(home.contact, last_tip_id="tip-1", last_tip_at=NOW - timedelta(hours=1))


def _erased(home: Home) -> None:
    home.send("DELETE")
    home.press("erase:yes")
    assert home.erased


# Each reachable state: how a parent gets there from an active, onboarded one.
ACTIVE_STATES: dict[str, Callable[[Home], object]] = {
    "idle": lambda h: None,
    "tip just sent": _tip_sent,
    "paused": _say("PAUSE"),
    "children menu": _say("CHILDREN"),
    "children pick": _say(
        "CHILDREN", "ch:add", "kind:due", "1/9/2026", "skip", "CHILDREN", "ch:change"
    ),
    "children kind": _say("CHILDREN", "ch:add"),
    "children date": _say("CHILDREN", "ch:add", "kind:born"),
    "children name": _say("CHILDREN", "ch:add", "kind:born", "2/2/2024"),
    "children confirm remove": _say("CHILDREN", "ch:remove"),
    "schedule day": _say("TIPS"),
    "schedule time": _say("TIPS", "day:4"),
    "language choose": _say("LANGUAGE"),
    "birth arrived": _due_date_passed("arrived"),
    "birth date": _due_date_passed("date"),
    **{f"consultation {q.type}": _consultation(q.id) for q in ALL_TYPES.questions},
    "consultation closed": _consultation("pick", closed=True),
    "event rsvp": _announced,
    "event pick": _listed,
    "erase confirm": _say("DELETE"),
    "mydata then erase": _say("MYDATA", "DILEU"),
    "reconsent": _notice_changed,
    "opted out": _say("STOP"),
    "opted out, erase confirm": _say("STOP", "DELETE"),
    "erased": _erased,
}
ONBOARDING_STATES = ("new", *(f"onboarding {s}" for s in ONBOARDING_STEPS), "declined")
STATES = (*ONBOARDING_STATES, *ACTIVE_STATES)


@cache
def _reached(state: str, channel: Channel, language: str) -> ContactSnapshot:
    if state in ONBOARDING_STATES:
        home = Home(channel)
        if state == "declined":
            for step in _onboarding(language)[:2]:
                step(home)
            home.press("consent:no")
            assert home.contact.status is ContactStatus.DECLINED
        elif state != "new":
            for step in _onboarding(language)[: ONBOARDING_STEPS.index(state.split()[1]) + 1]:
                step(home)
        return home.contact
    home = _onboarded(channel, language)
    ACTIVE_STATES[state](home)
    return home.contact


def start(state: str, channel: Channel, language: str) -> Home:
    """A new Home in `state` (built once per state, channel and language, then copied)."""
    home = Home(channel)
    home.contact = _reached(state, channel, language)
    return home


def problems(contact: ContactSnapshot) -> list[str]:
    """What would be wrong with this contact if storage held it; [] when it is valid."""
    found: list[str] = []
    state = contact.state
    if not isinstance(contact.status, ContactStatus):
        found.append(f"status {contact.status!r}")
    if contact.language not in (None, *CONFIG.languages):
        found.append(f"language {contact.language!r}")
    if not contact.is_new and contact.community_id not in CONFIG.communities:
        found.append(f"community {contact.community_id!r}")
    if state.flow is None:
        if state.step is not None or state.data:
            found.append(f"idle with leftovers {state}")
    elif state.flow not in FLOWS:
        found.append(f"unknown flow {state.flow!r}")
    elif state.flow == consultation.FLOW:
        asked: Consultation | None = contact.consultation
        ours = asked is not None and state.data.get("c") == asked.id
        if ours and asked and state.step not in {q.id for q in asked.questions}:
            found.append(f"no question {state.step!r}")
    elif state.step not in STEPS[state.flow]:
        found.append(f"unknown step {state.flow}/{state.step}")
    try:
        if json.loads(json.dumps(dict(state.data))) != dict(state.data):
            found.append("state data does not survive JSON")
    except (TypeError, ValueError):
        found.append(f"state data is not JSON: {state.data!r}")
    if contact.status is ContactStatus.OPTED_OUT and state.flow not in (None, "erase"):
        found.append(f"opted out but in {state.flow}")
    # A parent who declined may change language, ask for erasure, or start setting up again
    # (a keyword restarts onboarding without leaving "declined": tests/unit/test_keywords.py).
    declined_may = (None, "language", "erase", "onboarding")
    if contact.status is ContactStatus.DECLINED and state.flow not in declined_may:
        found.append(f"declined but in {state.flow}")
    if len(contact.children) > CONFIG.max_children:
        found.append(f"{len(contact.children)} children")
    for child in contact.children:
        if (child.birth_date is None) == (child.due_date is None):
            found.append(f"child {child.id} has {child.birth_date} and {child.due_date}")
    return found


def replies_of(result: StepResult) -> list[OutgoingMessage]:
    return [
        e.message if isinstance(e, fx.Reply | fx.Signpost) else e.goodbye
        for e in result.effects
        if isinstance(e, fx.Reply | fx.Signpost | fx.EraseContact)
    ]
