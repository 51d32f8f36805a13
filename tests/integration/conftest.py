"""Fixtures for integration tests that need a whole small world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.container import build, prepare_database
from tests.conftest import make_settings
from tests.integration.staff_client import staff_client
from tests.integration.world import START, World

__all__ = ["staff_client"]  # a fixture for every integration test


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> Iterator[World]:
    built = build(make_settings(database_url, tmp_path), clock=lambda: START)
    prepare_database(built)
    yield World(built)
    built.close()
