"""Read a consultation YAML file: safe loading, plus the line of every key for error messages."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from bot import yaml_lines
from conversations.consultations.model import Consultation
from conversations.consultations.validate import Problem, validate

SHAPE = "the file should be a mapping with id, title, intro and questions"


def load(
    path: Path, languages: Sequence[str] = ("en", "cy")
) -> tuple[Consultation | None, list[Problem]]:
    """The consultation in `path`, or None and every problem with its line."""
    return yaml_lines.load_file(path, partial(validate, languages=languages), SHAPE)


def load_text(
    text: str, languages: Sequence[str] = ("en", "cy")
) -> tuple[Consultation | None, list[Problem]]:
    """As `load`, from YAML text."""
    return yaml_lines.load_text(text, partial(validate, languages=languages), SHAPE)
