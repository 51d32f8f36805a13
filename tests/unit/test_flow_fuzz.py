"""Any sequence of any messages, from every reachable state, on both channels, in both languages:
the engine never raises, what storage would hold stays valid, and every reply is non-empty, in
the parent's language and renderable on their channel.

Example counts are modest so the unit suite stays quick; `HYPOTHESIS_PROFILE=ci` multiplies them
(see `tests/conftest.py`).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations.keywords import WORDS
from conversations.render import render_sms, render_telegram
from conversations.sms import count_segments
from conversations.types import Channel, ContactStatus, InboundKind, OutgoingMessage
from tests.conftest import scaled
from tests.unit.family import ENGINE
from tests.unit.fuzz_world import STATES, Home, problems, replies_of, start

ROOT = Path(__file__).resolve().parents[2]
MAX_SMS_SEGMENTS = 12  # no reply grows with what the parent typed (the longest is the welcome)

# Text no parent means, and text a parent might: every keyword in every case, numbers, dates.
ODD = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\x1b[2J\x07",
        "\r\n\t",
        "\u202eevil\u202c",
        "مرحبا بك",
        "שלום",
        "e\u0301\u0301\u0301",
        "Z\u0335\u0321\u0322a\u0338\u0327l\u0334\u0328g\u0336o",
        "👩‍👧‍👦🏴󠁧󠁢󠁷󠁬󠁳󠁿",
        "\ufeff1",
        "１",
        "x" * 5000,
        "1" * 400,
        "DROP TABLE contacts;--",
        "{count} {0} %s",
    ]
)
MEANINGFUL = st.sampled_from(
    [
        *(w for by_language in WORDS.values() for words in by_language.values() for w in words),
        *(str(n) for n in range(0, 10)),
        "1,3",
        "1, 2, 99",
        "yes",
        "ie",
        "na",
        "skip",
        "hepgor",
        "done",
        "12/03/2025",
        "1 June 2026",
        "12 Mawrth 2025",
        "31/02/2025",
        "3.5",
        "-1",
        "1e308",
        "Sam",
        "/start",
        "/start feltham",
    ]
)
TEXT = st.one_of(
    MEANINGFUL,
    MEANINGFUL.map(str.upper),
    MEANINGFUL.map(lambda w: f"  {w.title()}!  "),
    ODD,
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), max_size=300),
)
CALLBACK = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "lang:xx",
            "consent:maybe",
            "child:99",
            "child:-1",
            "child:x",
            "day:9",
            "day:x",
            "time:25:00",
            "c:all:pick:purple",
            "c:all:many:done",
            "c:all:count:7",
            "c:other:pick:red",
            "c:all:nope:red",
            "e:unknown-event:yes",
            "e:bettws-rhyme-time-2027-03-09:perhaps",
            "ev:unknown-event",
            "r:tip-1:useful",
            "r:unknown:xx",
            "erase:yes",
            "birth:yes",
            ":",
            "::::",
        ]
    ),
)


@st.composite
def action(draw: st.DrawFn, home: Home) -> tuple[str, dict[str, object]]:
    """What the parent does next: type, press a button on screen, press a forged one, /start
    with any payload, or send a photo."""
    last = home.last[-1] if home.last else None
    choices = [c.id for c in last.choices] if last else []
    kind = draw(st.sampled_from(["text", "text", "button", "forged", "start", "media"]))
    if kind == "button" and choices:
        return "press", {"choice": draw(st.sampled_from(choices))}
    if kind == "forged":
        return "forged", {"choice": draw(CALLBACK)}
    if kind == "start":
        payload = draw(st.none() | st.sampled_from(["bettws", "feltham", "nowhere"]) | st.text())
        return "start", {"kind": InboundKind.START, "payload": payload}
    if kind == "media":
        return "media", {"kind": InboundKind.MEDIA}
    return "text", {"text": draw(TEXT)}


@cache
def _fragments(language: str) -> tuple[str, ...]:
    """Long pieces of every bot sentence as written in `language` and not in the other one."""
    with open(ROOT / "locales" / "cy" / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po)
    pieces: set[str] = set()
    for message in catalog:
        if not message.id or not message.string or message.id == message.string:
            continue
        text = message.string if language == "cy" else message.id
        other = message.id if language == "cy" else message.string
        for piece in re.split(r"\{[^}]*\}", str(text)):
            piece = piece.strip(" .,:;!?")
            if len(piece) >= 25 and piece not in str(other):
                pieces.add(piece)
    return tuple(sorted(pieces))


def _other(language: str) -> str:
    return "en" if language == "cy" else "cy"


def check_reply(home: Home, reply: OutgoingMessage, language: str | None) -> None:
    assert reply.text.strip(), "an empty reply"
    if language is not None:
        assert reply.locales == (language,), (reply.locales, reply.text)
        wrong = [p for p in _fragments(_other(language)) if p in reply.text]
        assert not wrong, f"{_other(language)} words in a {language} reply: {wrong}"
    sms = render_sms(reply)
    assert count_segments(sms).segments <= MAX_SMS_SEGMENTS, sms
    rendering = render_telegram(reply)  # raises on callback data over 64 bytes
    assert rendering.text.strip()
    assert len(reply.text) <= 4096, "Telegram would cut this reply short"


@pytest.mark.parametrize("state", STATES)
@settings(
    max_examples=scaled(20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    channel=st.sampled_from(list(Channel)),
    language=st.sampled_from(["en", "cy"]),
    data=st.data(),
)
def test_any_messages_from_any_state_leave_a_valid_state(
    state: str, channel: Channel, language: str, data: st.DataObject
) -> None:
    home = start(state, channel, language)
    assert problems(home.contact) == [], f"the starting state {state!r} is itself invalid"
    for _ in range(data.draw(st.integers(1, 8), label="messages")):
        what, fields = data.draw(action(home), label="action")
        before = home.contact
        home.send(**fields)  # type: ignore[arg-type]
        result = home.steps[-1]
        after = home.contact
        assert problems(after) == [], (what, fields, before.state, after.state)
        replies = replies_of(result)
        assert replies, f"no answer to {what} {fields} in {before.state}"
        steady = before.language if before.language == after.language else None
        for reply in replies:
            check_reply(home, reply, steady)
        if after.status is ContactStatus.OPTED_OUT:
            assert not any(r.kind == "proactive" for r in replies)


def test_every_state_is_reached_as_named() -> None:
    """The catalogue is what it says: each name lands in its flow and step."""
    expected = {
        "onboarding language": ("onboarding", "language"),
        "onboarding confirm": ("onboarding", "confirm"),
        "children pick": ("children", "pick"),
        "children confirm remove": ("children", "confirm_remove"),
        "schedule time": ("schedule", "time"),
        "birth date": ("birth", "date"),
        "consultation multi": ("consultation", "many"),
        "consultation date": ("consultation", "when"),
        "event pick": ("event", "pick"),
        "erase confirm": ("erase", "confirm"),
        "opted out, erase confirm": ("erase", "confirm"),
        "reconsent": ("reconsent", "ask"),
        "language choose": ("language", "choose"),
    }
    for channel in Channel:
        for name, (flow, step) in expected.items():
            state = start(name, channel, "cy").contact.state
            assert (state.flow, state.step) == (flow, step), name
        assert start("erased", channel, "en").contact.is_new
        assert start("opted out", channel, "en").contact.status is ContactStatus.OPTED_OUT
        assert start("declined", channel, "en").contact.status is ContactStatus.DECLINED
    assert len(STATES) >= 35 and ENGINE.config.languages == ("en", "cy")
