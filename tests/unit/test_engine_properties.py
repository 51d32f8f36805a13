"""Properties of the whole engine: any messages, from any state, never raise or corrupt state."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations import i18n
from conversations.engine import FLOWS, Engine
from conversations.keywords import match_keyword
from conversations.types import (
    Channel,
    ContactSnapshot,
    ContactStatus,
    EngineConfig,
    InboundKind,
    InboundMessage,
)
from tests.unit.family import ENGINE, NOW, Family, engine_config

MEANINGFUL = st.sampled_from(
    [
        "1",
        "2",
        "3",
        "ie",
        "no",
        "stop",
        "START",
        "help",
        "iaith",
        "plant",
        "bettws",
        "12/03/2025",
        "1 June 2026",
        "Sam",
        "skip",
        "",
        " ",
        "x" * 5000,
        "🙂",
        "مرحبا",
        "\x00\x1b",
    ]
)
MESSAGES = st.lists(
    st.one_of(MEANINGFUL, st.text(max_size=300)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=MESSAGES, channel=st.sampled_from(list(Channel)))
def test_any_conversation_leaves_a_valid_state(messages: list[str], channel: Channel) -> None:
    family = Family(channel)
    for text in messages:
        replies = family.send(text)
        contact = family.contact
        assert replies, "every message gets an answer"
        assert all(reply.text.strip() for reply in replies)
        assert contact.state.flow is None or contact.state.flow in FLOWS
        assert isinstance(contact.status, ContactStatus)
        if contact.status is ContactStatus.OPTED_OUT:
            assert contact.state.flow is None
        assert contact.language in (None, "en", "cy")
        for child in contact.children:
            assert (child.birth_date is None) != (child.due_date is None)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_keyword_matching_never_raises(text: str) -> None:
    assert match_keyword(text) is None or match_keyword(text.upper()) == match_keyword(text)


@settings(max_examples=100, deadline=None)
@given(
    kind=st.sampled_from(list(InboundKind)),
    text=st.text(max_size=200),
    choice=st.none() | st.text(max_size=80),
    payload=st.none() | st.text(max_size=80),
)
def test_any_event_for_a_new_contact_is_handled(
    kind: InboundKind, text: str, choice: str | None, payload: str | None
) -> None:
    contact = ContactSnapshot(
        id=1,
        channel=Channel.TELEGRAM,
        community_id=None,
        language=None,
        status=ContactStatus.ONBOARDING,
        is_new=True,
    )
    event = InboundMessage(Channel.TELEGRAM, "1", "u1", NOW, kind, text, choice, payload)
    result = ENGINE.step(contact, event, NOW)
    assert result.effects


@pytest.fixture
def polish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineConfig]:
    """A deployment that adds Polish by adding a catalog and configuration only."""
    root = Path(__file__).resolve().parents[2] / "locales"
    shutil.copytree(root, tmp_path / "locales", ignore=shutil.ignore_patterns("*.mo"))
    folder = tmp_path / "locales" / "pl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    template = (root / "messages.pot").read_text(encoding="utf-8")
    template = template.replace(
        'msgid "Which language would you like?"\nmsgstr ""',
        'msgid "Which language would you like?"\nmsgstr "Jaki język wybierasz?"',
    )
    (folder / "messages.po").write_text(template, encoding="utf-8")
    monkeypatch.setenv("LOCALES_DIR", str(tmp_path / "locales"))
    i18n._catalog.cache_clear()
    base = engine_config()
    feltham = base.communities["feltham"]
    communities = dict(base.communities)
    communities["feltham"] = type(feltham)(
        feltham.id, feltham.name, feltham.nation, ("en", "pl"), feltham.timezone
    )
    yield EngineConfig(
        communities=communities,
        default_community="feltham",
        privacy_notice_version="2026-11",
        privacy_notice_url="https://example.org/privacy",
        languages=i18n.available_languages(),
    )
    i18n._catalog.cache_clear()


def test_a_new_language_needs_a_catalog_and_configuration_only(polish: EngineConfig) -> None:
    assert "pl" in polish.languages
    engine = Engine(polish)
    contact = ContactSnapshot(
        id=1,
        channel=Channel.SMS,
        community_id=None,
        language=None,
        status=ContactStatus.ONBOARDING,
        is_new=True,
    )
    welcome = engine.step(
        contact, InboundMessage(Channel.SMS, "+447700900009", "a", NOW, text="hi"), NOW
    )
    (reply,) = [e.message for e in welcome.effects if hasattr(e, "message")]
    assert [c.label for c in reply.choices] == ["English", "Polski"]
    assert "Jaki język wybierasz?" in reply.text
    assert reply.text.index("Hello") < reply.text.index("Jaki")  # English first, as configured
