"""Read an authored YAML file (a consultation, an event): safe loading, the line of every key.

`load_file` and `load_text` hand the loaded mapping and a `path -> line` lookup to a validator
and merge its problems with the file's own (syntax errors, duplicate keys, impossible dates).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from conversations.consultations.checks import Lines, Problem

TIMESTAMP = "tag:yaml.org,2002:timestamp"
T = TypeVar("T")
Validator = Callable[[Any, Lines], tuple[T | None, list[Problem]]]


def load_file(path: Path, check: Validator[T], shape: str) -> tuple[T | None, list[Problem]]:
    """What `check` makes of the YAML in `path`, or None and every problem with its line.

    `shape` is the problem given when the file is not a mapping.
    """
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        return None, [Problem(None, "", f"{path.name} is not UTF-8 (byte {error.start + 1})")]
    return load_text(text, check, shape)


def load_text(text: str, check: Validator[T], shape: str) -> tuple[T | None, list[Problem]]:
    """As `load_file`, from YAML text."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        return None, [_syntax_problem(error)]
    except ValueError:
        data = None  # an impossible timestamp such as 2027-02-30; `_walk` names its line
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    if root is not None:
        _walk(root, "", root.start_mark.line + 1, lines, problems, set())
    if not isinstance(data, dict):
        return None, problems or [Problem(1, "", shape)]
    found, more = check(data, lines.get)
    problems = sorted([*problems, *more], key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else found), problems


def _syntax_problem(error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"invalid YAML: {context + ', ' if context else ''}{problem}"
    if context and "flow" in context:
        message += " (inside { } or [ ], put text with ? , : or # in quotes)"
    return Problem(mark.line + 1 if mark is not None else None, "", message)


def _walk(
    node: yaml.Node,
    path: str,
    line: int,
    lines: dict[str, int],
    problems: list[Problem],
    seen: set[int],
) -> None:
    """Record `path -> line` for `node` and everything under it; find duplicate keys."""
    lines[path] = line  # a repeated key overwrites, as the loader keeps the last value
    if id(node) in seen:  # an alias of a node already walked (or a recursive one)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            key_line = key_node.start_mark.line + 1
            child = f"{path}.{key}" if path else str(key)
            if key is not None and key in first:
                message = f"duplicate key {key!r} (first on line {first[key]})"
                problems.append(Problem(key_line, child, message))
            elif key is not None:
                first[key] = key_line
            _walk(value_node, child, key_line, lines, problems, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, f"{path}[{index}]", item.start_mark.line + 1, lines, problems, seen)
    elif isinstance(node, yaml.ScalarNode) and node.tag == TIMESTAMP:
        try:
            yaml.SafeLoader("").construct_yaml_timestamp(node)
        except ValueError as error:
            problems.append(Problem(line, path, f"{node.value!r} is not a real date: {error}"))
