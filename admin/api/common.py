"""What every /api route shares: the bearer scheme, community checks, the capped JSON body."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer

from admin.api.models import ErrorOut
from admin.auth import StaffIdentity, allowed

MAX_BODY = 1024 * 1024
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No token, or an unknown or revoked one"},
    403: {"model": ErrorOut, "description": "The token's role may not do this"},
    404: {"model": ErrorOut, "description": "No such thing in the token's communities"},
    422: {"model": ErrorOut, "description": "A parameter or the body is not valid, one line each"},
}
# Routes that read a JSON body also answer these.
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "The body is not JSON"},
    413: {"model": ErrorOut, "description": "The body is over 1 MiB"},
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


def problems(errors: Any) -> list[str]:
    """Pydantic's errors as "where: what" lines, without echoing the input back."""
    return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors]


async def validation_problem(request: Request, error: Exception) -> Response:
    """Under /api, a bad parameter is a 422 in the documented `ErrorOut` shape."""
    assert isinstance(error, RequestValidationError)
    if not request.url.path.startswith("/api/"):
        return await request_validation_exception_handler(request, error)
    return JSONResponse({"detail": problems(error.errors())}, status_code=422)
