"""A Twilio HTTP client that sends API requests to another base URL (TWILIO_API_BASE_URL).

twilio-python has no base-URL option; the supported seam is `Client(..., http_client=...)`.
`BaseUrlHttpClient` is the stock `TwilioHttpClient` (requests, pooled session) with the origin
of every `https://*.twilio.com/...` URL the client builds — `api.twilio.com`, and the
`api.{edge}.{region}.twilio.com` hosts picked by TWILIO_EDGE / TWILIO_REGION — replaced by
the configured base. The path and query are kept; a path in the base URL is put in front:

    base "http://127.0.0.1:8123"
    https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json
      -> http://127.0.0.1:8123/2010-04-01/Accounts/AC…/Messages.json

URLs on other hosts are left alone.
"""

from __future__ import annotations

import logging
import os
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

from requests.adapters import HTTPAdapter
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

TWILIO_DOMAIN = "twilio.com"
_logger = logging.getLogger("twilio.http_client")


def is_twilio_host(host: str) -> bool:
    """True for twilio.com and any of its subdomains."""
    host = host.lower().rstrip(".")
    return host == TWILIO_DOMAIN or host.endswith("." + TWILIO_DOMAIN)


class BaseUrl:
    """Rewrites *.twilio.com URLs to a base URL; shared by the sync and asyncio clients."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Twilio API base URL must be http(s)://host[:port], not {base_url!r}")
        if parts.query or parts.fragment:
            raise ValueError(f"Twilio API base URL must not have a query: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.scheme = parts.scheme
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")

    def rewrite(self, url: str) -> str:
        """`url` with a *.twilio.com origin replaced by the base URL; other URLs unchanged."""
        parts = urlsplit(url)
        if not is_twilio_host(parts.hostname or ""):
            return url
        path = self._prefix + (parts.path or "/")
        return urlunsplit((self.scheme, self._netloc, path, parts.query, parts.fragment))


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """`TwilioHttpClient` sending requests for *.twilio.com to `base_url` instead."""

    def __init__(
        self,
        base_url: str,
        *,
        pool_connections: bool = True,
        request_hooks: dict[str, object] | None = None,
        timeout: float | None = None,
        logger: logging.Logger = _logger,
        proxy: dict[str, str] | None = None,
        max_retries: int | None = None,
    ) -> None:
        self._base = BaseUrl(base_url)
        super().__init__(
            pool_connections=pool_connections,
            request_hooks=request_hooks,
            timeout=timeout,
            logger=logger,
            proxy=proxy,
            max_retries=max_retries,
        )
        self.base_url = self._base.base_url
        if self.session is not None and self._base.scheme == "http":
            # TwilioHttpClient configures (retries, pool size) the https:// adapter only.
            if max_retries is not None:
                adapter = HTTPAdapter(max_retries=max_retries)
            else:
                adapter = HTTPAdapter(pool_maxsize=min(32, (os.cpu_count() or 1) + 4))
            self.session.mount("http://", adapter)

    def rewrite(self, url: str) -> str:
        """`url` with a *.twilio.com origin replaced by the base URL; other URLs unchanged."""
        return self._base.rewrite(url)

    def request(
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
        return super().request(
            method,
            self.rewrite(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
        )

    def close(self) -> None:
        """Close the pooled connections (the stock client never does)."""
        if self.session is not None:
            self.session.close()

    def __enter__(self) -> BaseUrlHttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
