"""The JSON API under /api for integrations: bearer tokens with the staff roles."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter

from admin.services import DashboardServices
from conversations.types import Community


def api_router(services: DashboardServices, communities: Mapping[str, Community]) -> APIRouter:
    return APIRouter(prefix="/api")
