"""The canned fake APIs of fake_apis.py on a bare asyncio HTTP/1.1 keep-alive server.

    .venv/bin/python -m benchmarks.fake_wire --port 8123

Same answers as the ASGI app (Telegram getMe and sendMessage, Twilio's Messages.json, 404
otherwise), but parsed and answered by one `asyncio.Protocol`: uvicorn without httptools
parses HTTP in pure Python (h11) and spent more CPU per request than the clients under
test, so the fake, not the sender, was the ceiling. Requests are still read whole
(Content-Length or chunked bodies, pipelined requests in order) and answered with a correct
HTTP/1.1 response that python-telegram-bot, twilio-python and httpx parse.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.fake_apis import _ME, _telegram_message, _twilio_message

ROOT = Path(__file__).resolve().parents[1]
_REASONS = {200: b"OK", 201: b"Created", 404: b"Not Found", 400: b"Bad Request"}


def answer(target: bytes) -> tuple[int, bytes]:
    """Status and JSON body for a request path, as `fake_apis.app` answers it."""
    path = target.split(b"?", 1)[0]
    if path.endswith(b"/getMe"):
        return 200, _ME
    if path.endswith(b"/sendMessage"):
        return 200, _telegram_message()
    if path.endswith(b"/Messages.json"):
        return 201, _twilio_message()
    return 404, b'{"ok": false}'


def _response(status: int, body: bytes, close: bool) -> bytes:
    head = b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % (
        status,
        _REASONS[status],
        len(body),
    )
    return head + (b"Connection: close\r\n\r\n" if close else b"\r\n") + body


def _chunked_end(buffer: bytearray, start: int) -> int:
    """Where a chunked body starting at `start` ends, or -1 if it has not all arrived."""
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return -1
        size = int(bytes(buffer[at:line_end]).split(b";", 1)[0], 16)
        at = line_end + 2
        if size == 0:  # no trailers from our clients: the last chunk ends with a blank line
            end = buffer.find(b"\r\n", at)
            return -1 if end < 0 else end + 2
        at += size + 2
        if at > len(buffer):
            return -1


class FakeHttp(asyncio.Protocol):
    """One keep-alive connection: read each request whole, answer it from `answer`."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None and self._one():
            pass

    def _one(self) -> bool:
        """Answer the first buffered request if it is complete; False if more must arrive."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return False
        lines = bytes(self.buffer[:head_end]).split(b"\r\n")
        parts = lines[0].split(b" ")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        start = head_end + 4
        if headers.get(b"transfer-encoding") == b"chunked":
            end = _chunked_end(self.buffer, start)
            if end < 0:
                return False
        else:
            end = start + int(headers.get(b"content-length", b"0"))
            if end > len(self.buffer):
                return False
        del self.buffer[:end]
        close = headers.get(b"connection") == b"close" or parts[-1] == b"HTTP/1.0"
        status, body = answer(parts[1]) if len(parts) == 3 else (400, b'{"ok": false}')
        assert self.transport is not None
        self.transport.write(_response(status, body, close))
        if close:
            self.transport.close()
            self.transport = None
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(FakeHttp, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


@contextmanager
def running() -> Iterator[str]:
    """The fake in a child process (its own interpreter lock) on a free port; yields its origin."""
    from benchmarks.serve import free_port

    port = free_port()
    command = [sys.executable, "-m", "benchmarks.fake_wire", "--port", str(port)]
    child = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the fake HTTP server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123)
    asyncio.run(serve(parser.parse_args().port))
