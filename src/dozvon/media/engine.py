"""`MediaEngine`: the shared clock plus RTP port allocation for every session of a process."""

import asyncio
import logging
from typing import Any

from dozvon.media.clock import SharedClock
from dozvon.media.session import RtpSession

log = logging.getLogger(__name__)


class MediaError(RuntimeError):
    """The engine cannot provide media (not started, or no free port)."""


class _SessionProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.session: RtpSession | None = None

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        if self.session is not None:
            self.session._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the peer may be gone; the SIP layer decides.
        if self.session is not None:
            self.session._on_send_error()


class MediaEngine:
    """Owns the 20 ms clock and hands out sessions bound to even UDP ports of `port_range`.

    `port_range` is half-open (start, stop). Ports are handed out round-robin so a port just
    released is not reused at once (late packets of the old call would land in the new one).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port_range: tuple[int, int] = (16000, 20000),
        interval: float = 0.020,
    ) -> None:
        start, stop = port_range
        if not 0 < start < stop <= 65536:
            raise ValueError(f"bad RTP port range {port_range}")
        self.host = host
        self.clock = SharedClock(interval)
        self._ports = range(start + start % 2, stop, 2)
        self._cursor = 0
        self._sessions: dict[int, RtpSession] = {}

    @property
    def sessions(self) -> list[RtpSession]:
        return list(self._sessions.values())

    async def start(self) -> None:
        self.clock.start()

    async def stop(self) -> None:
        """Close every open session, then stop the clock."""
        for session in list(self._sessions.values()):
            await session.close()
        self.clock.stop()

    async def open_session(self) -> RtpSession:
        """Bind the next free even port and return its session (not yet pointed anywhere)."""
        if not self.clock.running:
            raise MediaError("MediaEngine.start() has not been called")
        for _ in range(len(self._ports)):
            port = self._ports[self._cursor]
            self._cursor = (self._cursor + 1) % len(self._ports)
            if port in self._sessions:
                continue
            try:
                session = await self._bind(port)
            except OSError:
                continue  # taken by another process
            self._sessions[port] = session
            return session
        raise MediaError(
            f"no free RTP port on {self.host} in {self._ports.start}-{self._ports.stop}"
        )

    async def _bind(self, port: int) -> RtpSession:
        protocol = _SessionProtocol()
        transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
            lambda: protocol, local_addr=(self.host, port)
        )
        session = RtpSession(transport, self.host, port, self.clock, self._release)
        protocol.session = session
        return session

    def _release(self, session: RtpSession) -> None:
        self._sessions.pop(session.local_port, None)
