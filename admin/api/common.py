"""What every /api route shares: the bearer scheme, community checks, the capped JSON body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.security import HTTPBearer

from admin.api.models import ErrorOut
from admin.auth import StaffIdentity, allowed

MAX_BODY = 1024 * 1024
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No token, or an unknown or revoked one"},
    403: {"model": ErrorOut, "description": "The token's role may not do this"},
    404: {"model": ErrorOut, "description": "No such thing in the token's communities"},
}
bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token made by an administrator at /admin/tokens",
)
Need = Callable[[str], Callable[..., StaffIdentity]]  # permission -> a dependency


def may(who: StaffIdentity, permission: str, community: str | None) -> bool:
    """`allowed`, where no community (every community) is for an admin only."""
    if community is None:
        return who.role == "admin" and allowed(who, permission)
    return allowed(who, permission, community)


def visible(who: StaffIdentity) -> list[str] | None:
    """The communities a token may see; None for all (an admin's)."""
    return None if who.role == "admin" else list(who.communities)


async def json_body(request: Request) -> Any:
    """The request's JSON: 413 over 1 MiB, 400 when it is not JSON."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(status_code=413, detail="request body too large (over 1 MiB)")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > MAX_BODY:
            raise HTTPException(status_code=413, detail="request body too large (over 1 MiB)")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as error:
        raise HTTPException(status_code=400, detail=f"malformed JSON: {error}") from None
