"""The dashboard pages for the inbox."""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from fastapi import APIRouter

from admin.kit import PageKit


def router(kit: PageKit) -> APIRouter:
    return APIRouter()
