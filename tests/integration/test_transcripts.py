"""Onboarding transcripts through the real service and database, over both renderings."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.chat import TerminalChat
from bot.container import Container
from conversations.types import Channel
from storage.db import transaction
from storage.models import Child, Consent, Contact, ContactIdentity, InboundMessage, Outbox
from tests.conftest import FIXED_NOW

WELSH_SMS = [
    (
        "Helo",
        [
            "Croeso i wasanaeth Cymuned Dysgu Cynnar Bettws",
            "Hello from the Bettws",
            "1 Cymraeg\n2 English",
            "Atebwch gyda rhif. / Reply with a number.",
        ],
    ),
    (
        "1",
        [
            "Cyn i ni ddechrau",
            "https://example.org/privacy",
            "1 Ydw, rwy'n cytuno\n2 Dim diolch",
            "Atebwch gyda rhif.",
        ],
    ),
    ("ie", ["Diolch.", "Ydy hwn yn fabi ar y ffordd", "1 Babi ar y ffordd\n2 Wedi cyrraedd"]),
    ("2", ["Beth yw dyddiad geni eich plentyn? Er enghraifft: 22/08/2025 neu 22 Awst 2025"]),
    ("12 Mawrth 2025", ["Beth hoffech chi i mi alw eich plentyn?", "1 Hepgor"]),
    ("Siôn", ["Hoffech chi ychwanegu plentyn arall?"]),
    ("2", ["Dyma'r manylion sydd gen i:", "- Siôn: ganwyd 12 Mawrth 2025", "Ydy hynny'n gywir?"]),
    ("1", ["Dyna ni, diolch!", "CYMORTH"]),
]

ENGLISH_TELEGRAM = [
    ("/start bettws", ["Croeso i wasanaeth", "Hello from the Bettws", "[1] Cymraeg  [2] English"]),
    ("2", ["Before we start", "[1] Yes, I agree  [2] No thanks"]),
    ("1", ["Thank you.", "Is this a baby on the way", "[1] Baby on the way  [2] Already born"]),
    ("1", ["When is your baby due? For example: 08/06/2026 or 8 June 2026", "[1] Go back"]),
    ("in two weeks maybe", ["Sorry, I couldn't read that date.", "When is your baby due?"]),
    ("20/07/2026", ["What would you like me to call your child?", "[1] Skip"]),
    ("1", ["Would you like to add another child?"]),
    ("2", ["Here is what I have:", "- A baby due 20 July 2026", "Is that right?"]),
    ("1", ["All done, thank you!", "HELP"]),
]


def _walk(chat: TerminalChat, script: list[tuple[str, list[str]]]) -> None:
    for line, expected in script:
        shown = "\n\n".join(chat.send(line))
        for fragment in expected:
            assert fragment in shown, f"after {line!r}: {fragment!r} not in\n{shown}"


@pytest.mark.parametrize(
    ("channel", "address", "script", "language", "child"),
    [
        (Channel.SMS, "+447700900101", WELSH_SMS, "cy", ("Siôn", date(2025, 3, 12), None)),
        (Channel.TELEGRAM, "700900101", ENGLISH_TELEGRAM, "en", (None, None, date(2026, 7, 20))),
    ],
    ids=["welsh-sms", "english-telegram"],
)
def test_onboarding_transcript_stores_what_the_parent_said(
    container: Container,
    channel: Channel,
    address: str,
    script: list[tuple[str, list[str]]],
    language: str,
    child: tuple[str | None, date | None, date | None],
) -> None:
    chat = TerminalChat(container.inbound, channel, address, clock=lambda: FIXED_NOW)
    _walk(chat, script)
    with transaction(container.sessions) as session:
        identity = session.scalars(select(ContactIdentity)).one()
        contact = session.get_one(Contact, identity.contact_id)
        assert (identity.channel, identity.address) == (channel.value, address)
        assert (contact.community_id, contact.language, contact.status) == (
            "bettws",
            language,
            "active",
        )
        assert contact.consent_version == "2026-11"
        assert contact.is_simulated
        consent = session.scalars(select(Consent)).one()
        assert (consent.agreed, consent.channel, consent.language) == (
            True,
            channel.value,
            language,
        )
        stored = session.scalars(select(Child)).one()
        assert (stored.nickname, stored.birth_date, stored.due_date) == child
        processed = session.scalar(
            select(func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.processed_at.is_not(None))
        )
        assert processed == len(script)
        assert (
            session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.status == "queued")
            )
            == 0
        )


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.TELEGRAM])
@pytest.mark.parametrize("lang_reply", ["1", "2"])
def test_both_languages_over_both_renderings(
    container: Container, channel: Channel, lang_reply: str
) -> None:
    address = "+447700900102" if channel is Channel.SMS else "700900102"
    chat = TerminalChat(container.inbound, channel, address, clock=lambda: FIXED_NOW)
    chat.send("bettws")
    consent = "\n".join(chat.send(lang_reply))
    expected = "Ydw, rwy'n cytuno" if lang_reply == "1" else "Yes, I agree"
    assert expected in consent
    assert ("1 " if channel is Channel.SMS else "[1] ") + expected in consent


def test_declining_stores_nothing_but_the_refusal(container: Container) -> None:
    chat = TerminalChat(container.inbound, Channel.SMS, "+447700900103", clock=lambda: FIXED_NOW)
    chat.send("feltham")
    chat.send("no")
    chat.send("hello again")  # a declined parent is offered the notice once more, nothing else
    with transaction(container.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.consent_version is None
        assert session.scalar(select(func.count()).select_from(Child)) == 0
        assert [c.agreed for c in session.scalars(select(Consent))] == [False]


def test_stop_mid_onboarding_is_never_stored_as_an_answer(container: Container) -> None:
    chat = TerminalChat(container.inbound, Channel.SMS, "+447700900104", clock=lambda: FIXED_NOW)
    chat.send("feltham")
    chat.send("1")
    chat.send("2")
    (reply,) = chat.send("STOP")
    assert "unsubscribed" in reply
    with transaction(container.sessions) as session:
        contact = session.scalars(select(Contact)).one()
        assert contact.status == "opted_out"
        assert contact.opted_out_at is not None
        assert session.scalar(select(func.count()).select_from(Child)) == 0
