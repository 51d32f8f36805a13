"""Zero-latency Telegram Bot API and Twilio Messages stand-ins for benchmarks, run under uvicorn.

    .venv/bin/python -m uvicorn benchmarks.fake_apis:app --port 8123

The fakes in tests/fakes/ check and record every request and close each connection; here
each answer is canned and keep-alive, so the figures measure the sender, not the fake. Only
what the senders and the inbound benchmark's plain bot call is answered: Telegram getMe,
sendMessage, answerCallbackQuery and the two message edits; Twilio's Messages.json.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

_ids = itertools.count(1)
_calls = {"telegram": 0, "twilio": 0}  # answered calls, read with GET /calls
_ME = json.dumps(
    {
        "ok": True,
        "result": {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"},
    }
).encode()


def _telegram_message() -> bytes:
    result = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": {"id": 700000001, "type": "private"},
        "text": "ok",
    }
    return json.dumps({"ok": True, "result": result}).encode()


def _twilio_message() -> bytes:
    sid = f"SM{next(_ids):032x}"
    return json.dumps({"sid": sid, "status": "queued", "num_segments": "1"}).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:  # drain the request body
        more = (await receive()).get("more_body", False)
    path: str = scope["path"]
    status, body = 404, b'{"ok": false}'
    if path == "/calls":
        status, body = 200, json.dumps(_calls).encode()
    elif path.endswith("/getMe"):
        status, body = 200, _ME
    elif path.endswith("/answerCallbackQuery"):
        status, body = 200, b'{"ok": true, "result": true}'
    elif path.endswith(("/sendMessage", "/editMessageText", "/editMessageReplyMarkup")):
        status, body = 200, _telegram_message()
    elif path.endswith("/Messages.json"):
        status, body = 201, _twilio_message()
    if status < 300 and not path.endswith(("/calls", "/getMe")):
        _calls["twilio" if path.endswith(".json") else "telegram"] += 1
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
