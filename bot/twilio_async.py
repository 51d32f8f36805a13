"""twilio-python's asyncio client (aiohttp), optionally pointed at another base URL.

The sync client runs each request in a thread: a thread hop and a fight for the interpreter
lock with the event loop per SMS. The asyncio client sends from the loop itself. An aiohttp
session belongs to one event loop, so `LoopClient` makes one per loop, on first use.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from urllib.parse import urlencode

import aiohttp
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client as TwilioClient

from bot.twilio_http import BaseUrl

# The same logger as the sync client, which the CLI keeps quiet (it logs request URLs).
_logger = logging.getLogger("twilio.http_client")


class AsyncBaseUrlHttpClient(AsyncHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Twilio's asyncio HTTP client seam on one aiohttp session; *.twilio.com can go elsewhere.

    Written out rather than `AsyncTwilioHttpClient` (which this otherwise matches): that one
    uses aiohttp's deprecated `BasicAuth`, lets aiohttp build a multipart writer only to send a
    plain form, and formats its request log lines even when the logger is off.
    """

    def __init__(self, base_url: str | None = None, timeout: float | None = None) -> None:
        super().__init__(_logger, True, timeout)
        self._base = BaseUrl(base_url) if base_url else None
        self.session = aiohttp.ClientSession()

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if timeout is not None and timeout <= 0:
            raise ValueError(timeout)
        headers = dict(headers or {})
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        body = None
        if data:
            body = urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        limit = timeout if timeout is not None else self.timeout
        async with self.session.request(
            method.upper(),
            self._base.rewrite(url) if self._base else url,
            params=urlencode(params, doseq=True) if params else None,
            data=body,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=limit),
            allow_redirects=allow_redirects,
        ) as response:
            text = await response.text()
        return Response(response.status, text, response.headers)

    async def close(self) -> None:
        await self.session.close()


class LoopClient:
    """A `twilio.rest.Client` on the asyncio HTTP client of the running event loop."""

    def __init__(self, account_sid: str, auth_token: str, api_base_url: str | None) -> None:
        self._credentials = (account_sid, auth_token)
        self._base_url = api_base_url
        self._client: TwilioClient | None = None
        self._http: AsyncBaseUrlHttpClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> TwilioClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._http = AsyncBaseUrlHttpClient(self._base_url, timeout=30)
            self._client = TwilioClient(*self._credentials, http_client=self._http)
            self._loop = loop
        return self._client

    async def close(self) -> None:
        if self._http is not None and self._loop is asyncio.get_running_loop():
            await self._http.close()
        self._client = self._http = self._loop = None
