"""Bilingual parity: every user-facing string in the source has a reviewed-ready Welsh text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SOURCE_DIRS = ("conversations", "bot", "admin", "webhooks")


def _source_messages() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found: set[str] = set()
    for folder in SOURCE_DIRS:
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
            keywords=keywords,
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=lang)


def _template() -> set[str]:
    with (ROOT / "locales" / "messages.pot").open("rb") as fp:
        return {m.id for m in read_po(fp) if m.id}


def test_template_matches_the_source() -> None:
    """Run `make locales-update` when this fails, then translate what is new."""
    source, template = _source_messages(), _template()
    assert source - template == set(), "strings missing from locales/messages.pot"
    assert template - source == set(), "stale strings in locales/messages.pot"


@pytest.mark.parametrize("lang", ["cy"])
def test_every_string_is_translated_and_not_fuzzy(lang: str) -> None:
    catalog = _catalog(lang)
    translated = {m.id: m for m in catalog if m.id}
    problems = []
    for message_id in sorted(_source_messages()):
        entry = translated.get(message_id)
        if entry is None or not entry.string:
            problems.append(f"missing: {message_id}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message_id}")
        elif set(PLACEHOLDER.findall(message_id)) != set(PLACEHOLDER.findall(str(entry.string))):
            problems.append(f"placeholders differ: {message_id}")
    assert problems == []


def test_english_catalog_exists_for_every_source_string() -> None:
    ids = {m.id for m in _catalog("en") if m.id}
    assert _source_messages() <= ids
