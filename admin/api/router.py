"""The JSON API under /api for integrations: bearer tokens with the staff roles.

A token has a role and communities like a member of staff and is checked the same way
(`allowed`): a permission it lacks is 403, a thing in a community it may not see is 404.
Request bodies are read by hand, so one over 1 MiB is refused before it is all read.
"""

# No `from __future__ import annotations`: FastAPI reads the closures' signatures.
from collections.abc import Callable, Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials

from admin.api import consultations, events
from admin.api.common import ERRORS, bearer, visible
from admin.api.models import CommunityOut
from admin.auth import PERMISSIONS, StaffIdentity
from admin.services import DashboardServices
from conversations.types import Community


def api_router(services: DashboardServices, communities: Mapping[str, Community]) -> APIRouter:
    router = APIRouter(prefix="/api", responses=ERRORS)
    api = services.api

    def token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> StaffIdentity:
        if credentials is None:
            raise HTTPException(
                status_code=401,
                detail="an API token is needed: Authorization: Bearer <token>",
                headers={"WWW-Authenticate": "Bearer"},
            )
        who = api.authenticate(credentials.credentials)
        if who is None:
            raise HTTPException(
                status_code=401,
                detail="unknown or revoked token",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return who

    def need(permission: str) -> Callable[..., StaffIdentity]:
        def dependency(who: Annotated[StaffIdentity, Depends(token)]) -> StaffIdentity:
            if permission not in PERMISSIONS.get(who.role, frozenset()):
                raise HTTPException(status_code=403, detail=f"this token may not use {permission}")
            return who

        return dependency

    @router.get("/communities", response_model=list[CommunityOut], tags=["communities"])
    def list_communities(who: Annotated[StaffIdentity, Depends(token)]) -> list[CommunityOut]:
        """The communities this token may see."""
        shown = visible(who)
        return [
            CommunityOut.model_validate(c)
            for c in communities.values()
            if shown is None or c.id in shown
        ]

    router.include_router(consultations.routes(api, need))
    router.include_router(events.routes(api, need))
    return router
