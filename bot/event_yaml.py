"""Read an event YAML file: every problem with its line, or the event."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from bot import yaml_lines
from conversations.events.model import Event
from conversations.events.validate import SHAPE, Problem, validate


def load(
    path: Path, languages: Sequence[str] = ("en", "cy"), communities: Sequence[str] | None = None
) -> tuple[Event | None, list[Problem]]:
    """The event in `path`, or None and every problem with its line.

    Every text needs each of `languages`; `communities`, when given, are the ids allowed.
    """
    check = partial(validate, languages=languages, communities=communities)
    return yaml_lines.load_file(path, check, SHAPE)


def load_text(
    text: str, languages: Sequence[str] = ("en", "cy"), communities: Sequence[str] | None = None
) -> tuple[Event | None, list[Problem]]:
    """As `load`, from YAML text."""
    check = partial(validate, languages=languages, communities=communities)
    return yaml_lines.load_text(text, check, SHAPE)
