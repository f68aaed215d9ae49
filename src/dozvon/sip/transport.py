"""The thin I/O edge: UDP and TCP sockets that hand raw bytes and their source to the UA.

Nothing here parses SIP beyond TCP framing; everything above works on bytes and Destinations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from dozvon.sip.message import ParseError, frame_stream
from dozvon.sip.transaction import Destination

log = logging.getLogger(__name__)
Receiver = Callable[[bytes, Destination], None]


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        host, port = addr[0], addr[1]
        if isinstance(host, str) and isinstance(port, int):
            self.receiver(data, Destination("udp", host, port))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable etc.: the transaction timers will notice; nothing to do here.
        log.debug("udp error: %s", exc)


class _TcpConnection(asyncio.Protocol):
    def __init__(self, owner: Transports) -> None:
        self.owner = owner
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.peer: Destination | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host, port = transport.get_extra_info("peername")[:2]
        self.peer = Destination("tcp", host, port)
        self.owner.tcp_connections[(host, port)] = self

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.peer is not None:
            try:
                message, self.buffer = frame_stream(self.buffer)
            except ParseError as exc:
                log.warning("closing TCP connection from %s: %s", self.peer.host, exc.what)
                if self.transport is not None:
                    self.transport.close()
                return
            if message is None:
                return
            self.owner.receiver(message, self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            self.owner.tcp_connections.pop((self.peer.host, self.peer.port), None)


class Transports:
    """One UDP socket and (optionally) one TCP listener on the same address and port."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.udp: asyncio.DatagramTransport | None = None
        self.tcp_server: asyncio.Server | None = None
        self.tcp_connections: dict[tuple[str, int], _TcpConnection] = {}
        self.host = ""
        self.port = 0
        self._connecting: dict[tuple[str, int], asyncio.Task[None]] = {}

    async def start(self, host: str, port: int, tcp: bool) -> None:
        loop = asyncio.get_running_loop()
        self.udp, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self.receiver), local_addr=(host, port)
        )
        self.host, self.port = self.udp.get_extra_info("sockname")[:2]
        if tcp:
            self.tcp_server = await loop.create_server(
                lambda: _TcpConnection(self), host, self.port
            )

    def send(self, data: bytes, destination: Destination) -> None:
        if destination.transport == "udp":
            if self.udp is not None:
                self.udp.sendto(data, (destination.host, destination.port))
            return
        key = (destination.host, destination.port)
        connection = self.tcp_connections.get(key)
        if connection is not None and connection.transport is not None:
            connection.transport.write(data)
            return
        task = self._connecting.get(key)
        self._connecting[key] = asyncio.create_task(self._connect_and_send(key, data, task))

    async def _connect_and_send(
        self, key: tuple[str, int], data: bytes, previous: asyncio.Task[None] | None
    ) -> None:
        if previous is not None:
            await asyncio.gather(previous, return_exceptions=True)
        connection = self.tcp_connections.get(key)
        try:
            if connection is None or connection.transport is None:
                loop = asyncio.get_running_loop()
                _, connection = await loop.create_connection(lambda: _TcpConnection(self), *key)
            if connection.transport is not None:
                connection.transport.write(data)
        except OSError as exc:
            log.warning("TCP connect to %s:%d failed: %s", key[0], key[1], exc)
        finally:
            if self._connecting.get(key) is asyncio.current_task():
                del self._connecting[key]

    def close(self) -> None:
        if self.udp is not None:
            self.udp.close()
        if self.tcp_server is not None:
            self.tcp_server.close()
        for connection in list(self.tcp_connections.values()):
            if connection.transport is not None:
                connection.transport.close()
        for task in self._connecting.values():
            task.cancel()
