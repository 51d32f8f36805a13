"""A lean transport for python-telegram-bot's `Bot`: aiohttp instead of httpx.

PTB's `Bot` does the Bot API (parameters, files, errors, flood control answers); only the
HTTP round trip is swapped. httpx spent about a millisecond of CPU per request on this box
(its pool re-checks every connection for each request), several times the cost of the round
trip through aiohttp, whose parser is compiled; see benchmarks/RESULTS.md, section 2.
aiohttp is already installed: twilio-python depends on it for its async client.
"""

from __future__ import annotations

import asyncio

import aiohttp
import telegram
from telegram import InlineKeyboardMarkup
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """`BaseRequest` over one pooled `aiohttp.ClientSession`, created on `initialize`."""

    def __init__(
        self,
        connection_pool_size: int = 16,
        read_timeout: float | None = 15.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        loop = asyncio.get_running_loop()
        if self._session is not None and not self._session.closed and self._loop is loop:
            return
        # A session belongs to one event loop; the CLI and tests start a new loop per command.
        self._loop = loop
        connector = aiohttp.TCPConnector(limit=self._pool_size, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": self.USER_AGENT},
            skip_auto_headers=("Accept-Encoding",),
        )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if self._loop is not asyncio.get_running_loop():
            await self.initialize()
        files = request_data.multipart_data if request_data else None
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if request_data and files:
            data = _form(request_data.json_parameters, files)
        elif request_data:
            # Encoded here: a dict would make aiohttp build (and discard) a multipart writer.
            data = request_data.url_encoded_parameters().encode()
            headers = _FORM
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        # aiohttp has no write timeout of its own: the whole request gets read + write.
        total = None if read is None or write is None else read + write
        timeout = aiohttp.ClientTimeout(
            total=total, sock_connect=connect, connect=_given(pool_timeout, None)
        )
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _given(value: object, default: float | None) -> float | None:
    """A per-call timeout if PTB passed one, else this request object's default."""
    if isinstance(value, DefaultValue):
        return default
    return None if value is None else float(value)  # type: ignore[arg-type]


def _form(fields: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


class LeanBot(telegram.Bot):
    """`telegram.Bot` with a plain-text `sendMessage` that keeps only the message id."""

    async def send_text(
        self, chat_id: int, text: str, reply_markup: InlineKeyboardMarkup | None = None
    ) -> int:
        # `send_message` builds a whole `Message` from the answer (about 200 µs on this box,
        # a third of a send's budget at 1,500/s); the outbox only keeps its id. The request
        # is the one `send_message` makes: PTB drops the parameters left at their defaults.
        data: dict[str, object] = {"chat_id": chat_id, "text": text, "reply_markup": reply_markup}
        result = await self._post("sendMessage", data)
        return int(result["message_id"])
