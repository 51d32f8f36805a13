"""Request body limits shared by the webhooks: nothing over 1 MiB is read, let alone stored."""

from __future__ import annotations

from fastapi import HTTPException, Request

MAX_BODY = 1024 * 1024


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request body, refused with 413 once it is known to exceed `limit` bytes.

    A declared Content-Length over the limit is refused before anything is read; the stream is
    counted too, so a chunked upload (no Content-Length) or a lying header is cut off as soon as
    it passes the limit instead of being buffered whole.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared.strip())
        except ValueError:
            raise HTTPException(status_code=400, detail="invalid Content-Length") from None
        if size < 0:
            raise HTTPException(status_code=400, detail="invalid Content-Length")
        if size > limit:
            raise HTTPException(status_code=413, detail="request body too large")
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise HTTPException(status_code=413, detail="request body too large")
        chunks.append(chunk)
    return b"".join(chunks)
