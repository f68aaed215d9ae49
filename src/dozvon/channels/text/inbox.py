"""Where patients' written replies wait for the conversation that asked.

A webhook handler or a poller (Telegram's getUpdates) calls `deliver`; a conversation opens its
address before it sends, so a reply that comes back faster than the send returns is not lost.
In-process on purpose: one daemon runs the dialogs and receives the replies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from dozvon.core.outcome import Channel

log = logging.getLogger(__name__)


def address_key(address: str) -> str:
    """Gateways write the same number as +7999… and 7999…: compare without the plus."""
    return address.strip().removeprefix("+")


class ReplyInbox:
    def __init__(self) -> None:
        self._open: dict[tuple[Channel, str], asyncio.Queue[str]] = {}

    @contextlib.contextmanager
    def listening(self, channel: Channel, address: str) -> Iterator[asyncio.Queue[str]]:
        key = (channel, address_key(address))
        if key in self._open:
            raise RuntimeError(f"{channel.value}: с этим адресом уже идёт разговор")
        queue: asyncio.Queue[str] = asyncio.Queue()
        self._open[key] = queue
        try:
            yield queue
        finally:
            del self._open[key]

    def deliver(self, channel: Channel, address: str, text: str) -> bool:
        """False when no conversation waits on that address: the reply is dropped (logged)."""
        queue = self._open.get((channel, address_key(address)))
        if queue is None:
            log.info("reply with no open conversation dropped", extra={"channel": channel.value})
            return False
        queue.put_nowait(text)
        return True
