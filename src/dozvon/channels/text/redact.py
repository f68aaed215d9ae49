"""Keep API secrets out of logs: httpx logs every request URL at INFO, and the Bot API puts
the bot's token in the URL path (a gateway may put its key in the query)."""

from __future__ import annotations

import logging

HTTP_LOGGERS = ("httpx", "httpcore")
MASK = "***"


class SecretFilter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = message
        for secret in self.secrets:
            hidden = hidden.replace(secret, MASK)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


_FILTER = SecretFilter()


def hide_in_logs(secret: str) -> None:
    """From now on the HTTP client's log lines show `***` instead of `secret`."""
    if not secret:
        return
    _FILTER.secrets.add(secret)
    for name in HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
