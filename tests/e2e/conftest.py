"""Fixtures for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fault_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for a fault test that means something on both engines."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/fault.db"
    url: str = request.getfixturevalue("postgres_url")
    return url
