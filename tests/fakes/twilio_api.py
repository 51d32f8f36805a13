"""A fake Twilio REST API (Messages): a real HTTP server on 127.0.0.1 for `twilio.rest.Client`.

    with FakeTwilio() as fake, BaseUrlHttpClient(fake.origin) as http:
        client = Client(fake.account_sid, fake.auth_token, http_client=http)
        message = client.messages.create(to="+447700900123", from_=fake.number, body="Hi",
                                         status_callback="https://elc.example/webhooks/twilio/status")
        fake.deliver_status(message.sid, "delivered", via="http://127.0.0.1:8000")

Twilio's paths are kept (`/2010-04-01/Accounts/{AccountSid}/Messages.json`, and
`/Messages/{Sid}.json` to fetch one), HTTP basic auth is checked, and errors come in Twilio's
JSON shape `{"code", "message", "more_info", "status"}`, so `TwilioRestException.code` and
`.status` are what the real service would give.

Every request is recorded as a `TwilioCall`, failed ones too. `params` are the form fields
as sent: a str per field, a list of str for a repeated one (MediaUrl).

A request is processed and recorded *before* `latency` is slept and the answer written: a
client that times out has still had its message "sent", the case that makes retries send
duplicates.

Webhooks go the other way: `deliver_status` and `deliver_inbound` POST forms signed with
`X-Twilio-Signature` (`RequestValidator(auth_token).compute_signature(url, params)`) to the
app. The URL signed is the one Twilio was given (the StatusCallback, or the SMS webhook URL);
`via` sends the request to another origin while signing that URL, as a TLS proxy in front of
the app would.

Stdlib server plus httpx for webhooks; no network beyond 127.0.0.1.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "ACtest00000000000000000000000000"
AUTH_TOKEN = "test-auth-token-not-real"
NUMBER = "+447700900000"
API_VERSION = "2010-04-01"
SIGNATURE_HEADER = "X-Twilio-Signature"
MAX_BODY_LENGTH = 1600
WAIT_RECHECK = 0.1  # wait_for re-checks its predicate at least this often
LIST_FIELDS = frozenset({"MediaUrl", "PersistentAction"})

# Twilio's default opt-out keywords (Advanced Opt-Out adds OptOutType to the inbound webhook).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT"})
START_WORDS = frozenset({"START", "YES", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})

_E164 = re.compile(r"(?:whatsapp:)?\+[1-9]\d{6,14}")
_MESSAGE_PATH = re.compile(rf"/{API_VERSION}/Accounts/([^/]+)/Messages(?:/([^/]+))?\.json")

_DEFAULT_ERRORS: dict[int, tuple[int, str]] = {
    400: (21211, "Invalid 'To' Phone Number"),
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "Internal Server Error"),
    503: (20503, "Service Unavailable"),
}

# GSM 03.38: the basic set costs one septet, the extension set two (escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """How many SMS parts Twilio bills `body` as (GSM-7 160/153, else UCS-2 70/67)."""
    if not body:
        return 1
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in body):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in body)
        single, part = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


def error_body(status: int, code: int, message: str) -> dict[str, Any]:
    """Twilio's REST error JSON."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclass(frozen=True)
class TwilioCall:
    """One request to the fake REST API."""

    method: str  # HTTP method
    path: str
    params: dict[str, Any]
    at: float  # time.monotonic() when the request arrived
    status: int  # the HTTP status answered
    response: dict[str, Any] | None = None  # the JSON answered

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def is_send(self) -> bool:
        """A Messages create (POST .../Messages.json), whatever its outcome."""
        match = _MESSAGE_PATH.fullmatch(self.path)
        return self.method == "POST" and match is not None and match.group(2) is None

    @property
    def sid(self) -> str | None:
        """The SID of the message a successful call created or fetched."""
        return (self.response or {}).get("sid") if self.ok else None

    @property
    def to(self) -> str | None:
        value = self.params.get("To")
        return value if isinstance(value, str) else None

    @property
    def error_code(self) -> int | None:
        return None if self.ok else (self.response or {}).get("code")


@dataclass(frozen=True)
class Delivery:
    """One webhook the fake POSTed to the app."""

    url: str  # where it went
    signed_url: str  # the URL the signature covers
    params: dict[str, str]
    signature: str
    status: int
    text: str


@dataclass
class _Failure:
    status: int
    code: int
    message: str


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads: no socket outlives stop()
    request_queue_size = 256  # a worker sends batches of 100 at once; the default is 5
    block_on_close = True

    def __init__(self, fake: FakeTwilio) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, shutdown) before we answered is part of the game.
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = 10
    server_version = "FakeTwilio/1.0"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, payload, headers = self.server.fake._handle(
            self.command, self.path, self.headers.get("Authorization", ""), body
        )
        self.server.fake._sleep_latency()
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _form(text: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in params or key in LIST_FIELDS:
            existing = params.get(key, [])
            params[key] = [*(existing if isinstance(existing, list) else [existing]), value]
        else:
            params[key] = value
    return params


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=False)


def _via(url: str, origin: str | None) -> str:
    if not origin:
        return url
    target, base = urlsplit(url), urlsplit(origin)
    return urlunsplit((base.scheme, base.netloc, target.path, target.query, ""))


class FakeTwilio:
    """A Twilio Messages API in a background thread; see the module docstring."""

    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        number: str = NUMBER,
        latency: float = 0.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number  # our number: inbound To, and what a Messaging Service sends from
        self.latency = latency  # seconds slept before each answer (after processing)
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._calls: list[TwilioCall] = []
        self._version = 0  # bumped whenever a call is recorded
        self._deliveries: list[Delivery] = []
        self._failures: deque[_Failure] = deque()
        self._opted_out: set[str] = set()
        self._invalid: set[str] = set()
        self._failing: dict[str, _Failure] = {}
        self._messages: dict[str, dict[str, Any]] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeTwilio:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeTwilio:
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
            raise RuntimeError("FakeTwilio is not running; call start()")
        return int(self._server.server_address[1])

    @property
    def origin(self) -> str:
        """`http://127.0.0.1:PORT`: the TWILIO_API_BASE_URL for `BaseUrlHttpClient`."""
        return f"http://127.0.0.1:{self.port}"

    # -- inspection --------------------------------------------------------------------

    @property
    def calls(self) -> list[TwilioCall]:
        """A snapshot of every recorded request, in the order they were answered."""
        with self._cond:
            return list(self._calls)

    def sent(self, to: str | None = None, *, include_failed: bool = False) -> list[TwilioCall]:
        """Messages created (attempts too with include_failed), maybe only those to `to`."""
        return [
            call
            for call in self.calls
            if call.is_send and (include_failed or call.ok) and (to is None or call.to == to)
        ]

    def count(self, to: str | None = None) -> int:
        """How many Messages create requests were made (failed ones included), maybe to `to`."""
        return len(self.sent(to, include_failed=True))

    def wait_for(
        self, predicate: Callable[[list[TwilioCall]], bool], timeout: float = 10.0
    ) -> bool:
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

    def message(self, sid: str) -> dict[str, Any]:
        """The Message resource as it stands (status updated by deliver_status)."""
        with self._cond:
            return dict(self._messages[sid])

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook POSTed by deliver_status / deliver_inbound."""
        with self._cond:
            return list(self._deliveries)

    def reset(self) -> None:
        """Forget calls, deliveries, scripted failures, opt-outs, invalid numbers, messages."""
        with self._cond:
            self._calls.clear()
            self._deliveries.clear()
            self._failures.clear()
            self._opted_out.clear()
            self._invalid.clear()
            self._failing.clear()
            self._messages.clear()

    # -- scripting ---------------------------------------------------------------------

    def fail_next(
        self, times: int, status: int, code: int | None = None, message: str | None = None
    ) -> None:
        """The next `times` Messages creates answer `status` with Twilio error `code`.

        Defaults by status: 400/21211, 401/20003, 404/20404, else 20000 + status
        (429/20429, 500/20500, 503/20503) with the status's phrase as message.
        """
        default_code, default_message = _DEFAULT_ERRORS.get(
            status, (20000 + status, HTTPStatus(status).phrase)
        )
        failure = _Failure(status, code or default_code, message or default_message)
        with self._cond:
            self._failures.extend(failure for _ in range(times))

    def opt_out(self, number: str) -> None:
        """Every send to `number` answers 400, code 21610 (the recipient replied STOP)."""
        with self._cond:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> None:
        """Undo opt_out (the recipient replied START)."""
        with self._cond:
            self._opted_out.discard(number)

    def fail_to(
        self, number: str, status: int, code: int | None = None, message: str | None = None
    ) -> None:
        """Every send to `number` answers `status` (an outage for that route), as fail_next."""
        default_code, default_message = _DEFAULT_ERRORS.get(
            status, (20000 + status, HTTPStatus(status).phrase)
        )
        with self._cond:
            self._failing[number] = _Failure(
                status, code or default_code, message or default_message
            )

    def invalid(self, number: str) -> None:
        """Every send to `number` answers 400, code 21211 (not a valid phone number)."""
        with self._cond:
            self._invalid.add(number)

    # -- webhooks to the app -----------------------------------------------------------

    def deliver_status(
        self,
        sid: str,
        status: str,
        error_code: int | str | None = None,
        signed_with: str | None = None,
        *,
        url: str | None = None,
        via: str | None = None,
    ) -> int:
        """POST a status callback for message `sid` to its StatusCallback; the HTTP status.

        Signed with the auth token, or `signed_with` (to test rejection). `url` overrides the
        StatusCallback; `via` sends to another origin (the signature still covers the URL).
        The stored message takes the new status.
        """
        with self._cond:
            message = self._messages.get(sid)
            if message is None:
                raise KeyError(f"no message {sid!r} was created")
            callback = url or message.get("_status_callback")
            message["status"] = status
            message["date_updated"] = _rfc2822(datetime.now(UTC))
            if status in ("sent", "delivered") and message.get("date_sent") is None:
                message["date_sent"] = message["date_updated"]
            if error_code is not None:
                message["error_code"] = int(error_code)
            message = dict(message)
        if not callback:
            raise ValueError(f"message {sid!r} has no StatusCallback; pass url=")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message.get("from") or self.number,
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message["to"],
        }
        if message.get("messaging_service_sid"):
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return self._post_signed(callback, params, signed_with, via)

    def deliver_inbound(
        self,
        url: str,
        from_: str,
        body: str,
        *,
        to: str | None = None,
        signed_with: str | None = None,
        via: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> int:
        """POST an incoming-SMS webhook (as Twilio would) to `url`; the HTTP status.

        Like Twilio's default opt-out handling, STOP words opt the sender out (later sends
        get 21610) and START words opt them back in; with either, and with HELP words, the
        form carries `OptOutType` as Advanced Opt-Out does.
        """
        sid = "SM" + uuid.uuid4().hex
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(num_segments(body)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to or self.number,
        }
        word = body.strip().upper()
        if word in STOP_WORDS:
            params["OptOutType"] = "STOP"
            self.opt_out(from_)
        elif word in START_WORDS:
            params["OptOutType"] = "START"
            self.opt_in(from_)
        elif word in HELP_WORDS:
            params["OptOutType"] = "HELP"
        params.update(extra or {})
        return self._post_signed(url, params, signed_with, via)

    def _post_signed(
        self, url: str, params: dict[str, str], signed_with: str | None, via: str | None
    ) -> int:
        token = signed_with if signed_with is not None else self.auth_token
        signature = RequestValidator(token).compute_signature(url, params)
        target = _via(url, via)
        headers = {SIGNATURE_HEADER: signature, "User-Agent": "TwilioProxy/1.1"}
        with httpx.Client(timeout=10.0, trust_env=False) as client:
            response = client.post(target, data=params, headers=headers)
        with self._cond:
            self._deliveries.append(
                Delivery(target, url, params, signature, response.status_code, response.text)
            )
        return response.status_code

    # -- request handling (server threads) ---------------------------------------------

    def _sleep_latency(self) -> None:
        if self.latency > 0:
            self._stopping.wait(self.latency)

    def _handle(
        self, method: str, raw_path: str, authorization: str, body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        at = time.monotonic()
        parts = urlsplit(raw_path)
        headers: dict[str, str] = {}
        try:
            params = _form(body.decode("utf-8"))
        except UnicodeDecodeError:
            params = {}
        if not self._authorized(authorization):
            status, answer = 401, error_body(401, 20003, "Authenticate")
            answer["detail"] = "Your AccountSid or AuthToken was incorrect."
            headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        else:
            status, answer = self._route(method, parts.path, params)
        with self._cond:
            self._calls.append(TwilioCall(method, parts.path, params, at, status, answer))
            self._version += 1
            self._cond.notify_all()
        return status, answer, headers

    def _authorized(self, authorization: str) -> bool:
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.account_sid) and hmac.compare_digest(
            password, self.auth_token
        )

    def _not_found(self, path: str) -> tuple[int, dict[str, Any]]:
        return 404, error_body(404, 20404, f"The requested resource {path} was not found")

    def _route(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        match = _MESSAGE_PATH.fullmatch(path)
        if match is None or match.group(1) != self.account_sid:
            return self._not_found(path)
        sid = match.group(2)
        if sid is None and method == "POST":
            return self._create(params)
        if sid is not None and method == "GET":
            with self._cond:
                message = self._messages.get(sid)
            return (200, self._public(message)) if message else self._not_found(path)
        if sid is None and method == "GET":
            with self._cond:
                messages = [self._public(m) for m in reversed(self._messages.values())]
            return 200, {"messages": messages, "page": 0, "page_size": 50, "uri": path}
        return 405, error_body(405, 20004, "Method not allowed")

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in message.items() if not key.startswith("_")}

    def _create(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._cond:
            failure = self._failures.popleft() if self._failures else None
            failure = failure or self._failing.get(str(params.get("To")))
            opted_out = set(self._opted_out)
            invalid = set(self._invalid)
        if failure is not None:
            return failure.status, error_body(failure.status, failure.code, failure.message)
        to = params.get("To")
        from_ = params.get("From")
        service = params.get("MessagingServiceSid")
        text = params.get("Body")
        media = params.get("MediaUrl") or []
        if not isinstance(to, str) or not to:
            return 400, error_body(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return 400, error_body(400, 21603, "A 'From' phone number is required.")
        if not text and not media and not params.get("ContentSid"):
            return 400, error_body(400, 21602, "Message body is required.")
        if isinstance(text, str) and len(text) > MAX_BODY_LENGTH:
            return 400, error_body(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        if to in invalid or not _E164.fullmatch(to):
            return 400, error_body(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_ and from_ == to:
            return 400, error_body(400, 21266, "'To' and 'From' number cannot be the same")
        if to in opted_out:
            return 400, error_body(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = "SM" + uuid.uuid4().hex
        now = _rfc2822(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json"
        body = text if isinstance(text, str) else ""
        message: dict[str, Any] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_ or None,
            "messaging_service_sid": service or None,
            "num_media": str(len(media)),
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
            "to": to,
            "uri": uri,
            "_status_callback": params.get("StatusCallback"),
        }
        with self._cond:
            self._messages[sid] = message
        return 201, self._public(message)
