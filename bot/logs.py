"""How every process logs: one line a record, and never a number, a token or a message body.

Our own log lines name rows by id (outbox row 12, contact 34), never by phone number or chat id,
and never carry a message's text. The libraries below log full request URLs (the Telegram bot
token is in the path) and request parameters (numbers, bodies) at INFO or DEBUG, so they are
held at WARNING whatever LOG_LEVEL says. tests/integration/test_log_privacy.py checks this.
"""

from __future__ import annotations

import logging
import re
from types import TracebackType

CHATTY_LOGGERS = ("httpx", "httpcore", "twilio.http_client", "telegram", "apscheduler")
FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# PostgreSQL quotes the row in a constraint error ("DETAIL:  Key (address)=(+44…) already
# exists"); SQLAlchemy's "[parameters: …]" is already hidden by the engine (storage/db.py).
_ROW_VALUES = re.compile(r"^\s*(DETAIL:|\[parameters:)")
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class PrivateFormatter(logging.Formatter):
    """The usual format, with the lines of a traceback that quote database values left out."""

    def formatException(self, ei: ExcInfo) -> str:
        text = super().formatException(ei)
        return "\n".join(line for line in text.splitlines() if not _ROW_VALUES.match(line))


def quiet_libraries() -> None:
    """Hold the libraries that log URLs and parameters at WARNING."""
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def configure(level: str = "INFO") -> None:
    """The root logger at `level` (LOG_LEVEL), the chatty libraries quieted.

    uvicorn is started without a logging configuration of its own (bot/cli.py), so its
    records, errors with tracebacks included, come through this handler too.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(PrivateFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    quiet_libraries()
