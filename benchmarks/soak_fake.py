"""A zero-latency Telegram Bot API and Twilio stand-in that records every call, for the soak.

    .venv/bin/python -m uvicorn benchmarks.soak_fake:app --port 8123

Like `fake_apis.py` (canned, keep-alive answers) but each call is recorded as
`[method, key, at, issued]`: `key` is the chat id, the SMS `To` number or, for
answerCallbackQuery, the query id; `at` is `time.time()` on arrival; `issued` is the
message id or SID handed back (so each can be matched to exactly one outbox row).
`GET /soak/calls?since=N` returns the calls from the N-th on.
"""

from __future__ import annotations

import itertools
import json
import re
import time
from typing import Any
from urllib.parse import parse_qsl

_ids = itertools.count(1)
_calls: list[list[Any]] = []
_ME = json.dumps(
    {"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "Soak", "username": "soak_bot"}}
).encode()
_OK_TRUE = b'{"ok": true, "result": true}'
_MULTIPART_CHAT = re.compile(rb'name="chat_id"\r\n(?:[^\r\n]*\r\n)*?\r\n([^\r\n]+)')


def _params(body: bytes, content_type: str) -> dict[str, str]:
    """The parameters PTB and twilio send: a form, JSON, or (documents) multipart."""
    if content_type.startswith("application/json"):
        loaded = json.loads(body or b"{}")
        return {k: str(v) for k, v in loaded.items()}
    if content_type.startswith("multipart/"):
        found = _MULTIPART_CHAT.search(body)
        return {"chat_id": found.group(1).decode()} if found else {}
    return dict(parse_qsl(body.decode()))


def _telegram(method: str, params: dict[str, str]) -> tuple[int, bytes]:
    if method == "getMe":
        return 200, _ME
    if method in ("sendMessage", "sendDocument"):
        issued = next(_ids)
        _calls.append([method, params.get("chat_id", ""), time.time(), str(issued)])
        result = {"message_id": issued, "date": int(time.time()), "text": "ok"}
        result["chat"] = {"id": int(params.get("chat_id") or 0), "type": "private"}
        return 200, json.dumps({"ok": True, "result": result}).encode()
    if method == "answerCallbackQuery":
        _calls.append([method, params.get("callback_query_id", ""), time.time(), None])
        return 200, _OK_TRUE
    if method in ("editMessageText", "editMessageReplyMarkup"):
        _calls.append([method, params.get("chat_id", ""), time.time(), None])
        return 200, _OK_TRUE
    return 404, b'{"ok": false, "error_code": 404, "description": "Not Found"}'


def _twilio(params: dict[str, str]) -> tuple[int, bytes]:
    sid = f"SM{next(_ids):032x}"
    _calls.append(["sms", params.get("To", ""), time.time(), sid])
    return 201, json.dumps({"sid": sid, "status": "queued", "num_segments": "1"}).encode()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").decode().lower()
    path: str = scope["path"]
    status, answer = 404, b'{"ok": false}'
    if path == "/soak/calls":
        since = int(dict(parse_qsl(scope["query_string"].decode())).get("since", "0"))
        status, answer = 200, json.dumps({"calls": _calls[since:]}).encode()
    elif path.endswith("/Messages.json"):
        status, answer = _twilio(_params(body, content_type))
    elif path.startswith("/bot"):
        status, answer = _telegram(path.rsplit("/", 1)[-1], _params(body, content_type))
    response_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(answer)),
    ]
    await send({"type": "http.response.start", "status": status, "headers": response_headers})
    await send({"type": "http.response.body", "body": answer})
