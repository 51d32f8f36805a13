"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 that python-telegram-bot talks to.

    with FakeTelegram() as fake:
        bot = telegram.Bot(fake.token, base_url=f"{fake.origin}/bot")
        ...
        assert fake.wait_for(lambda calls: len(calls) >= 2)
        assert fake.sent_messages("42")[0].params["text"] == "Hello"
        upload = fake.sent_documents("42")[0].params["document"]  # an UploadedFile
        assert upload.filename == "event.ics" and upload.data.startswith(b"BEGIN:VCALENDAR")

It serves `GET|POST /bot{token}/{method}` with parameters in the query string, a form
(what PTB sends), a multipart form (PTB, when uploading) or a JSON body, and answers in the
Bot API's envelope: `{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"}`.

Every request that names a method is recorded as a `Call`, failed ones too (`Call.status`).
`Call.params` look the same however they were sent: scalars as the strings that went on the
wire (`chat_id` "42", `disable_notification` "true"), known JSON-typed parameters
(`reply_markup`, `entities`, `allowed_updates`, ...) decoded, uploads as `UploadedFile`.

A request is processed and recorded *before* `latency` is slept and the answer written: a
client that times out has still had its message "delivered", the case that makes retries
send duplicates.

Stdlib only, so it starts in milliseconds; no network beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

TOKEN = "123456:TEST-not-a-real-token"
BOT_USER: dict[str, Any] = {
    "id": 999000001,
    "is_bot": True,
    "first_name": "ELC Test Bot",
    "username": "elc_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LONG_POLL_CAP = 2.0
WAIT_RECHECK = 0.1  # wait_for re-checks its predicate at least this often
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

# Parameters whose values PTB JSON-encodes (objects and arrays); everything else stays a string.
JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "commands",
        "scope",
        "options",
        "question_entities",
        "explanation_entities",
        "prices",
        "input_message_content",
        "menu_button",
        "reaction",
        "message_ids",
    }
)
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
_DEFAULT_ERRORS: dict[int, dict[str, Any]] = {
    400: {"ok": False, "error_code": 400, "description": "Bad Request"},
    401: {"ok": False, "error_code": 401, "description": "Unauthorized"},
    403: BLOCKED,
    404: {"ok": False, "error_code": 404, "description": "Not Found"},
    409: {
        "ok": False,
        "error_code": 409,
        "description": "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
    },
    429: {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    },
    500: {"ok": False, "error_code": 500, "description": "Internal Server Error"},
    502: {"ok": False, "error_code": 502, "description": "Bad Gateway"},
}


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request."""

    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Call:
    """One request that reached a Bot API method (or tried to)."""

    method: str  # canonical Bot API name, e.g. "sendMessage"; as sent when unknown
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int = 200  # the HTTP status answered
    response: dict[str, Any] | None = None  # the JSON answered (None when the body was not JSON)

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def result(self) -> Any:
        """The `result` of a successful call (the Message for sendMessage), else None."""
        return (self.response or {}).get("result") if self.ok else None


@dataclass
class _Failure:
    status: int
    body: dict[str, Any] | str


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads: no socket outlives stop()
    request_queue_size = 256  # a worker sends batches of 100 at once; the default is 5
    block_on_close = True

    def __init__(self, fake: FakeTelegram) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, shutdown) before we answered is part of the game.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10  # socket timeout: a half-sent request cannot pin a thread forever
    server_version = "FakeTelegram/1.0"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        body = _read_body(self)
        status, payload = self.server.fake._handle(
            self.path, self.headers.get("Content-Type", ""), body
        )
        self.server.fake._sleep_latency()
        if isinstance(payload, str):
            data, ctype = payload.encode("utf-8"), "text/html; charset=utf-8"
        else:
            data, ctype = json.dumps(payload).encode("utf-8"), "application/json"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _wire_value(value: Any) -> Any:
    """A JSON-body value as PTB would have put it in a form: strings as-is, scalars dumped."""
    if isinstance(value, str | dict | list):
        return value
    return json.dumps(value)


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """The parameters of one Bot API request, normalised (see the module docstring)."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if body and media_type == "application/json":
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update({key: _wire_value(value) for key, value in decoded.items()})
    elif body and media_type == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif body and media_type == "multipart/form-data":
        params.update(_parse_multipart(content_type, body))
    for key, value in list(params.items()):
        if key in JSON_PARAMS and isinstance(value, str) and value[:1] in ("{", "["):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
        elif isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value.removeprefix("attach://"))
            if isinstance(attached, UploadedFile):
                params[key] = attached
    return params


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename is not None or part.get_content_type() != "text/plain":
            fields[name] = UploadedFile(filename, part.get_content_type(), payload)
        else:
            fields[name] = payload.decode(part.get_content_charset() or "utf-8")
    return fields


def _chat(chat_id: str) -> dict[str, Any]:
    try:
        numeric = int(chat_id)
    except ValueError:  # "@channelusername"
        return {"id": -1001000000001, "type": "channel", "username": chat_id.lstrip("@")}
    if numeric < 0:
        return {"id": numeric, "type": "supergroup", "title": "Test group"}
    return {"id": numeric, "type": "private", "first_name": "Test"}


def _error(code: int, description: str) -> tuple[int, dict[str, Any]]:
    return code, {"ok": False, "error_code": code, "description": description}


def _ok(result: Any, description: str | None = None) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return 200, body


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1")


class FakeTelegram:
    """A Bot API server in a background thread; see the module docstring."""

    def __init__(self, token: str = TOKEN, *, latency: float = 0.0) -> None:
        self.token = token
        self.latency = latency  # seconds slept before each answer (after processing)
        self.long_poll_cap = LONG_POLL_CAP  # getUpdates waits at most this long
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._calls: list[Call] = []
        self._version = 0  # bumped whenever a call is recorded
        self._failures: dict[str, deque[_Failure]] = {}
        self._blocked: set[str] = set()
        self._updates: deque[dict[str, Any]] = deque()
        self._next_update_id = 1
        self._message_ids = itertools.count(1)
        self._messages: dict[tuple[str, int], dict[str, Any]] = {}
        self._webhook: dict[str, Any] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "answerCallbackQuery": self._answer_callback_query,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendDocument": self._send_document,
            "getUpdates": self._get_updates,
        }
        self._canonical = {name.lower(): name for name in self._methods}

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeTelegram:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()  # long polls return at once
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not running; call start()")
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`; give PTB `base_url=f"{origin}/bot"`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The value for PTB's `Bot(base_url=...)` (and the TELEGRAM_API_BASE_URL setting)."""
        return f"{self.origin}/bot"

    # -- inspection --------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every recorded call, in the order they were answered."""
        with self._cond:
            return list(self._calls)

    def sent_messages(
        self, chat_id: str | int | None = None, *, include_failed: bool = False
    ) -> list[Call]:
        """Successful sendMessage calls (failed ones too with include_failed), maybe to one chat."""
        return [
            call
            for call in self.calls
            if call.method == "sendMessage"
            and (include_failed or call.ok)
            and (chat_id is None or call.params.get("chat_id") == str(chat_id))
        ]

    def sent_documents(
        self, chat_id: str | int | None = None, *, include_failed: bool = False
    ) -> list[Call]:
        """Successful sendDocument calls (failed ones too with include_failed), maybe to one chat.

        An upload is `call.params["document"]`, an `UploadedFile` (filename, content_type,
        data); `call.result["document"]` is what the API answered (file_id, file_name, ...).
        """
        return [
            call
            for call in self.calls
            if call.method == "sendDocument"
            and (include_failed or call.ok)
            and (chat_id is None or call.params.get("chat_id") == str(chat_id))
        ]

    def count(self, method: str) -> int:
        """How many calls of `method` were made, failed ones included."""
        name = self._canonical.get(method.lower(), method)
        return sum(1 for call in self.calls if call.method == name)

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate(calls)` is true (True) or `timeout` passes (False).

        The predicate runs on a snapshot, outside the fake's lock, each time a call is
        recorded and at least every 0.1 s (so it may also look at other state,
        such as a database). No busy loop: between checks it sleeps on a Condition.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                version, snapshot = self._version, list(self._calls)
            if predicate(snapshot):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._cond:
                if self._version == version:
                    self._cond.wait(min(remaining, WAIT_RECHECK))

    @property
    def webhook(self) -> dict[str, Any]:
        """What setWebhook last set: url, secret_token, allowed_updates, ...; {} when none."""
        with self._cond:
            return dict(self._webhook)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        with self._cond:
            return list(self._updates)

    def reset(self) -> None:
        """Forget calls, scripted failures, blocked chats, updates and the webhook."""
        with self._cond:
            self._calls.clear()
            self._failures.clear()
            self._blocked.clear()
            self._updates.clear()
            self._webhook.clear()

    # -- scripting ---------------------------------------------------------------------

    def fail_next(
        self, method: str, times: int, status: int, body: dict[str, Any] | str | None = None
    ) -> None:
        """The next `times` calls of `method` ("*" for any) answer `status` with `body`.

        `body` defaults to the Bot API's error for the status (429: retry_after 1; 403: bot
        blocked); a str is sent as-is as text/html, like a proxy's error page.
        """
        name = "*" if method == "*" else self._canonical.get(method.lower(), method)
        answer = (
            body
            if body is not None
            else _DEFAULT_ERRORS.get(
                status,
                {"ok": False, "error_code": status, "description": HTTPStatus(status).phrase},
            )
        )
        with self._cond:
            queue = self._failures.setdefault(name, deque())
            queue.extend(_Failure(status, answer) for _ in range(times))

    def block_chat(self, chat_id: str | int) -> None:
        """Every send/edit to this chat answers 403 "Forbidden: bot was blocked by the user"."""
        with self._cond:
            self._blocked.add(str(chat_id))

    def unblock_chat(self, chat_id: str | int) -> None:
        with self._cond:
            self._blocked.discard(str(chat_id))

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; an `update_id` is assigned when missing."""
        update = dict(update)
        with self._cond:
            if "update_id" not in update:
                update["update_id"] = self._next_update_id
            self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
            self._updates.append(update)
            self._cond.notify_all()
        return update

    def queue_text(
        self, chat_id: int, text: str, *, user_id: int | None = None, first_name: str = "Test"
    ) -> dict[str, Any]:
        """Queue a private-chat text message update from a user."""
        return self.queue_update(
            {"message": self.text_message(chat_id, text, user_id=user_id, first_name=first_name)}
        )

    def queue_callback(
        self, chat_id: int, data: str, *, message_id: int = 1, user_id: int | None = None
    ) -> dict[str, Any]:
        """Queue a callback_query update (an inline button press) on one of our messages."""
        user = {"id": user_id or chat_id, "is_bot": False, "first_name": "Test"}
        query = {
            "id": f"cbq-{int(time.monotonic_ns())}",
            "from": user,
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "from": BOT_USER,
                "chat": _chat(str(chat_id)),
                "date": int(time.time()),
                "text": "…",
            },
        }
        return self.queue_update({"callback_query": query})

    @staticmethod
    def text_message(
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        first_name: str = "Test",
        message_id: int = 1,
    ) -> dict[str, Any]:
        """A Message object as a user's text arrives in an update."""
        return {
            "message_id": message_id,
            "from": {"id": user_id or chat_id, "is_bot": False, "first_name": first_name},
            "chat": _chat(str(chat_id)),
            "date": int(time.time()),
            "text": text,
        }

    def post_update(
        self,
        update: dict[str, Any],
        *,
        url: str | None = None,
        secret_token: str | None = None,
        via: str | None = None,
    ) -> int:
        """POST an update to the webhook as Telegram would; returns the HTTP status.

        `url` defaults to the one setWebhook set, `secret_token` to its secret. `via`
        (an origin like "http://127.0.0.1:8000") replaces the URL's origin for the actual
        request, standing in for DNS and a TLS proxy in front of the app.
        """
        hook = self.webhook
        target = url or hook.get("url")
        if not target:
            raise ValueError("no webhook set and no url given")
        secret = secret_token if secret_token is not None else hook.get("secret_token")
        headers = {SECRET_HEADER: secret} if secret else {}
        with httpx.Client(timeout=10.0, trust_env=False) as client:
            response = client.post(_via(target, via), json=update, headers=headers)
        return response.status_code

    # -- request handling (server threads) ---------------------------------------------

    def _sleep_latency(self) -> None:
        if self.latency > 0:
            self._stopping.wait(self.latency)

    def _handle(self, path: str, content_type: str, body: bytes) -> tuple[int, Any]:
        at = time.monotonic()
        parts = urlsplit(path)
        match = re.fullmatch(r"/bot([^/]*)/([^/]+)/?", parts.path)
        if match is None:
            return _error(404, "Not Found")
        token, sent_name = match.groups()
        method = self._canonical.get(sent_name.lower(), sent_name)
        try:
            params = parse_params(parts.query, content_type, body)
        except (ValueError, UnicodeDecodeError):
            params = {}
            status, answer = _error(400, "Bad Request: can't parse request body")
        else:
            status, answer = self._answer(token, method, params)
        with self._cond:
            self._calls.append(
                Call(method, params, at, status, answer if isinstance(answer, dict) else None)
            )
            self._version += 1
            self._cond.notify_all()
        return status, answer

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if token != self.token:
            return _error(401, "Unauthorized")
        handler = self._methods.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        with self._cond:
            for key in (method, "*"):
                queue = self._failures.get(key)
                if queue:
                    failure = queue.popleft()
                    return failure.status, failure.body
            blocked = "chat_id" in params and str(params["chat_id"]) in self._blocked
        if blocked and method.startswith(("send", "edit", "copy", "forward")):
            return 403, BLOCKED
        return handler(params)

    def _new_message(self, chat_id: str, **fields: Any) -> dict[str, Any]:
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": _chat(chat_id),
            "date": int(time.time()),
        }
        message.update({key: value for key, value in fields.items() if value is not None})
        with self._cond:
            self._messages[(chat_id, message_id)] = message
        return message

    @staticmethod
    def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None

    def _get_me(self, params: dict[str, Any]) -> tuple[int, Any]:
        return _ok(BOT_USER)

    def _send_message(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id = str(params.get("chat_id") or "")
        text = params.get("text")
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            return _error(400, "Bad Request: message is too long")
        return _ok(self._new_message(chat_id, text=text, reply_markup=self._inline_markup(params)))

    def _answer_callback_query(self, params: dict[str, Any]) -> tuple[int, Any]:
        if not params.get("callback_query_id"):
            return _error(400, "Bad Request: query is empty")
        return _ok(True)

    def _edited(self, params: dict[str, Any], **fields: Any) -> tuple[int, Any]:
        if params.get("inline_message_id"):
            return _ok(True)
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        try:
            message_id = int(params.get("message_id") or "")
        except ValueError:
            return _error(400, "Bad Request: message identifier is not specified")
        with self._cond:
            message = dict(
                self._messages.get((chat_id, message_id))
                or {
                    "message_id": message_id,
                    "from": BOT_USER,
                    "chat": _chat(chat_id),
                    "date": int(time.time()),
                }
            )
            message.pop("reply_markup", None)
            message.update({key: value for key, value in fields.items() if value is not None})
            message["edit_date"] = int(time.time())
            self._messages[(chat_id, message_id)] = message
        return _ok(message)

    def _edit_message_text(self, params: dict[str, Any]) -> tuple[int, Any]:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT_LENGTH:
            return _error(400, "Bad Request: MESSAGE_TOO_LONG")
        return self._edited(params, text=text, reply_markup=self._inline_markup(params))

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> tuple[int, Any]:
        return self._edited(params, reply_markup=self._inline_markup(params))

    def _set_webhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        url = str(params.get("url") or "")
        if not url:  # an empty url removes the webhook, as in the real API
            return self._delete_webhook(params)
        if urlsplit(url).scheme != "https":
            return _error(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.fullmatch(str(secret)):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        with self._cond:
            self._webhook = {
                "url": url,
                "secret_token": secret,
                "allowed_updates": params.get("allowed_updates"),
                "max_connections": int(params.get("max_connections") or 40),
                "drop_pending_updates": _truthy(params.get("drop_pending_updates")),
            }
            if self._webhook["drop_pending_updates"]:
                self._updates.clear()
        return _ok(True, "Webhook was set")

    def _delete_webhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        with self._cond:
            had = bool(self._webhook)
            self._webhook = {}
            if _truthy(params.get("drop_pending_updates")):
                self._updates.clear()
        return _ok(True, "Webhook was deleted" if had else "Webhook is already deleted")

    def _get_webhook_info(self, params: dict[str, Any]) -> tuple[int, Any]:
        with self._cond:
            info: dict[str, Any] = {
                "url": self._webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self._updates),
            }
            if self._webhook:
                info["max_connections"] = self._webhook["max_connections"]
                info["ip_address"] = "127.0.0.1"
                if self._webhook.get("allowed_updates") is not None:
                    info["allowed_updates"] = self._webhook["allowed_updates"]
        return _ok(info)

    def _send_document(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id = str(params.get("chat_id") or "")
        document = params.get("document")
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        if not document:
            return _error(400, "Bad Request: there is no document in the request")
        caption = params.get("caption")
        if isinstance(caption, str) and len(caption) > MAX_CAPTION_LENGTH:
            return _error(400, "Bad Request: message caption is too long")
        if isinstance(document, UploadedFile) and not document.data:
            return _error(400, "Bad Request: file must be non-empty")
        serial = next(self._message_ids)
        if isinstance(document, UploadedFile):
            info: dict[str, Any] = {
                "file_name": document.filename or "document",
                "mime_type": document.content_type,
                "file_size": len(document.data),
            }
        else:  # a file_id or URL
            info = {"file_name": str(document).rsplit("/", 1)[-1][:64] or "document"}
        info.update({"file_id": f"BQACAgTEST{serial:08d}", "file_unique_id": f"AgADTEST{serial}"})
        return _ok(
            self._new_message(
                chat_id,
                document=info,
                caption=caption,
                reply_markup=self._inline_markup(params),
            )
        )

    def _get_updates(self, params: dict[str, Any]) -> tuple[int, Any]:
        try:
            offset = int(params.get("offset") or 0)
            limit = min(max(int(params.get("limit") or 100), 1), 100)
            wait = min(max(float(params.get("timeout") or 0), 0.0), self.long_poll_cap)
        except ValueError:
            return _error(400, "Bad Request: wrong parameter")
        deadline = time.monotonic() + wait
        with self._cond:
            if self._webhook:
                return _error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            self._confirm(offset)
            while not self._updates and not self._stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
                self._confirm(offset)
            return _ok(list(itertools.islice(self._updates, limit)))

    def _confirm(self, offset: int) -> None:
        """Forget updates the offset confirms (caller holds the lock)."""
        if offset < 0:  # the last -offset updates; earlier ones are forgotten
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif offset:
            kept = [update for update in self._updates if int(update["update_id"]) >= offset]
            self._updates = deque(kept)


def _via(url: str, origin: str | None) -> str:
    if not origin:
        return url
    target, base = urlsplit(url), urlsplit(origin)
    return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))
