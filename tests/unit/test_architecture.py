"""The layering rules of docs and architecture.md, enforced: nothing imports upwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "conversations": {
        "storage",
        "bot",
        "webhooks",
        "admin",
        "sqlalchemy",
        "fastapi",
        "starlette",
        "telegram",
        "twilio",
        "httpx",
        "openpyxl",
    },
    "storage": {"bot", "webhooks", "admin", "fastapi", "telegram", "twilio"},
    "webhooks": {"bot", "storage", "admin"},
    "admin": {"bot", "webhooks"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_upwards(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
