"""RFC 3550 RTP packets (sans-I/O) and a receiver that puts a lossy, reordered stream in order.

`parse` turns bytes into an `RtpPacket` or raises `RtpParseError`; `build` goes the other way.
`RtpReceiver` takes parsed packets in arrival order and hands them back in sequence order,
counting lost, late and duplicate packets instead of failing on them.
"""

import struct
from dataclasses import dataclass, field
from typing import NamedTuple

RTP_VERSION = 2
HEADER = struct.Struct("!BBHII")
HEADER_SIZE = HEADER.size
_PLAIN_FIRST_BYTE = RTP_VERSION << 6
SEQ_MOD = 1 << 16
TIMESTAMP_MOD = 1 << 32
# RFC 3550 A.1: a jump bigger than this is a restarted source, not loss.
MAX_DROPOUT = 3000
MAX_MISORDER = 100
# Ring of delivered sequence numbers, big enough to cover MAX_MISORDER.
RECENT_SLOTS = 128


class RtpParseError(ValueError):
    """A datagram that is not a valid RTP packet; the message says what is wrong."""


class RtpPacket(NamedTuple):
    """One parsed packet; a NamedTuple because one is made per packet and it is the cheapest."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes
    marker: bool = False
    csrcs: tuple[int, ...] = ()


def build(
    payload_type: int,
    sequence: int,
    timestamp: int,
    ssrc: int,
    payload: bytes,
    marker: bool = False,
) -> bytes:
    """Serialise one RTP packet with no CSRCs, extension or padding."""
    second = (0x80 if marker else 0) | (payload_type & 0x7F)
    return (
        HEADER.pack(
            RTP_VERSION << 6,
            second,
            sequence % SEQ_MOD,
            timestamp % TIMESTAMP_MOD,
            ssrc & 0xFFFFFFFF,
        )
        + payload
    )


def parse(data: bytes) -> RtpPacket:
    """Parse one datagram; CSRCs are kept, a header extension and padding are skipped."""
    if len(data) < HEADER_SIZE:
        raise RtpParseError(f"RTP packet too short: {len(data)} bytes, header needs {HEADER_SIZE}")
    first, second, sequence, timestamp, ssrc = HEADER.unpack_from(data)
    if first == _PLAIN_FIRST_BYTE:  # the usual case: no CSRC, extension or padding
        return RtpPacket(
            second & 0x7F, sequence, timestamp, ssrc, data[HEADER_SIZE:], second > 0x7F
        )
    if first >> 6 != RTP_VERSION:
        raise RtpParseError(f"RTP version {first >> 6}, expected {RTP_VERSION}")
    offset = HEADER_SIZE
    csrc_count = first & 0x0F
    if csrc_count:
        end = offset + 4 * csrc_count
        if len(data) < end:
            raise RtpParseError(f"RTP packet truncated inside its {csrc_count} CSRCs")
        csrcs = struct.unpack_from(f"!{csrc_count}I", data, offset)
        offset = end
    else:
        csrcs = ()
    if first & 0x10:
        if len(data) < offset + 4:
            raise RtpParseError("RTP packet truncated inside its header extension")
        (words,) = struct.unpack_from("!H", data, offset + 2)
        offset += 4 + 4 * words
        if len(data) < offset:
            raise RtpParseError("RTP header extension runs past the end of the packet")
    end = len(data)
    if first & 0x20:
        padding = data[-1]
        if padding == 0 or end - padding < offset:
            raise RtpParseError(f"RTP padding length {padding} is invalid")
        end -= padding
    return RtpPacket(
        payload_type=second & 0x7F,
        sequence=sequence,
        timestamp=timestamp,
        ssrc=ssrc,
        payload=data[offset:end],
        marker=bool(second & 0x80),
        csrcs=tuple(csrcs),
    )


def seq_delta(newer: int, older: int) -> int:
    """Signed distance between two 16-bit sequence numbers, wrap-around aware."""
    return (newer - older + SEQ_MOD // 2) % SEQ_MOD - SEQ_MOD // 2


@dataclass(slots=True)
class ReceiverStats:
    received: int = 0
    delivered: int = 0
    lost: int = 0
    late: int = 0
    duplicate: int = 0
    out_of_window: int = 0
    restarts: int = 0


@dataclass(slots=True)
class RtpReceiver:
    """Reorders packets of one stream through a small window, in sequence order.

    In-order packets pass straight through (no added delay). After a gap the receiver holds
    up to `depth` packets waiting for the missing one, then gives up on it (counted lost).
    A packet older than what was already delivered is `late` (or `duplicate` if it was
    delivered). A new SSRC restarts the stream at once; a sequence jump beyond RFC 3550's
    limits is dropped as `out_of_window` unless the next packet follows it (then the
    source restarted, as in RFC 3550 A.1).
    """

    depth: int = 3
    stats: ReceiverStats = field(default_factory=ReceiverStats)
    _ssrc: int | None = None
    _next: int = 0
    _bad_seq: int | None = None
    _pending: dict[int, RtpPacket] = field(default_factory=dict)
    _recent: list[int] = field(default_factory=lambda: [-1] * RECENT_SLOTS)

    def push(self, packet: RtpPacket) -> list[RtpPacket]:
        """Accept one packet; return the packets now ready, in order (often just this one)."""
        self.stats.received += 1
        if packet.sequence == self._next and packet.ssrc == self._ssrc and not self._pending:
            # The usual case, kept short: the very packet expected, nothing held back.
            self._next = (self._next + 1) & 0xFFFF
            self._recent[packet.sequence % RECENT_SLOTS] = packet.sequence
            self.stats.delivered += 1
            return [packet]
        if self._ssrc != packet.ssrc:
            if self._ssrc is not None:
                self.stats.restarts += 1
            return self._restart(packet)
        delta = seq_delta(packet.sequence, self._next)
        if delta < -MAX_MISORDER or delta > MAX_DROPOUT:
            if packet.sequence == self._bad_seq:
                self.stats.restarts += 1
                return self._restart(packet)
            self._bad_seq = (packet.sequence + 1) % SEQ_MOD
            self.stats.out_of_window += 1
            return []
        if delta < 0:
            if self._recent[packet.sequence % RECENT_SLOTS] == packet.sequence:
                self.stats.duplicate += 1
            else:
                self.stats.late += 1
            return []
        if packet.sequence in self._pending:
            self.stats.duplicate += 1
            return []
        self._pending[packet.sequence] = packet
        return self._release()

    def drain(self) -> list[RtpPacket]:
        """Give up on every missing packet and return everything still held, in order."""
        ready: list[RtpPacket] = []
        while self._pending:
            ready.extend(self._skip_to_oldest())
        return ready

    def _restart(self, packet: RtpPacket) -> list[RtpPacket]:
        ready = self.drain()
        self._ssrc = packet.ssrc
        self._bad_seq = None
        self._recent = [-1] * RECENT_SLOTS
        self._next = (packet.sequence + 1) % SEQ_MOD
        self._remember(packet.sequence)
        self.stats.delivered += 1
        ready.append(packet)
        return ready

    def _release(self) -> list[RtpPacket]:
        ready = self._take_in_order()
        while len(self._pending) >= self.depth:
            ready.extend(self._skip_to_oldest())
        return ready

    def _skip_to_oldest(self) -> list[RtpPacket]:
        oldest = min(self._pending, key=lambda seq: seq_delta(seq, self._next))
        self.stats.lost += seq_delta(oldest, self._next)
        self._next = oldest
        return self._take_in_order()

    def _take_in_order(self) -> list[RtpPacket]:
        ready: list[RtpPacket] = []
        while (packet := self._pending.pop(self._next, None)) is not None:
            ready.append(packet)
            self._remember(self._next)
            self._next = (self._next + 1) % SEQ_MOD
        self.stats.delivered += len(ready)
        return ready

    def _remember(self, sequence: int) -> None:
        self._recent[sequence % RECENT_SLOTS] = sequence
