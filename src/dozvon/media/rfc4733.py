"""RFC 4733 telephone-events (DTMF as RTP): payload codec, deduplicating receiver, sender.

One key press is one event: every packet of it carries the same RTP timestamp, the end packet
is sent three times, and the network may duplicate any of them. The receiver reports a digit
once per (timestamp, event), on the first packet it sees, so a press is reported as soon as
it starts (barge-in) and retransmits never make a second digit.
"""

import struct
from collections import deque
from dataclasses import dataclass

DIGITS = "0123456789*#ABCD"
PAYLOAD = struct.Struct("!BBH")
END_PACKETS = 3
MAX_DURATION = 0xFFFF
# How many recent events to remember for deduplication; a press spans one timestamp.
_REMEMBERED_EVENTS = 16


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    event: int
    end: bool
    volume: int
    duration: int

    @property
    def digit(self) -> str | None:
        """The DTMF key of this event, or None for non-DTMF events (flash, tones)."""
        return DIGITS[self.event] if self.event < len(DIGITS) else None


def encode_event(event: TelephoneEvent) -> bytes:
    flags = (0x80 if event.end else 0) | (event.volume & 0x3F)
    return PAYLOAD.pack(event.event & 0xFF, flags, min(event.duration, MAX_DURATION))


def decode_event(payload: bytes) -> TelephoneEvent:
    """Decode the first event of a payload; raise ValueError if it is shorter than 4 bytes."""
    if len(payload) < PAYLOAD.size:
        raise ValueError(f"telephone-event payload too short: {len(payload)} bytes, need 4")
    code, flags, duration = PAYLOAD.unpack_from(payload)
    return TelephoneEvent(
        event=code, end=bool(flags & 0x80), volume=flags & 0x3F, duration=duration
    )


def event_code(digit: str) -> int:
    """The RFC 4733 event code of a DTMF key; raise ValueError for anything else."""
    code = DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if code < 0:
        raise ValueError(f"not a DTMF key: {digit!r} (expected one of {DIGITS})")
    return code


class EventReceiver:
    """Turns a stream of telephone-event packets into key presses, once each."""

    def __init__(self) -> None:
        self._seen: deque[tuple[int, int]] = deque(maxlen=_REMEMBERED_EVENTS)
        self.malformed = 0

    def feed(self, timestamp: int, payload: bytes) -> str | None:
        """Return the pressed key if this packet starts a new event, else None."""
        try:
            event = decode_event(payload)
        except ValueError:
            self.malformed += 1
            return None
        key = (timestamp, event.event)
        if key in self._seen:
            return None
        self._seen.append(key)
        return event.digit


@dataclass(frozen=True, slots=True)
class EventPacket:
    """One packet of an outgoing event; all share the event's start timestamp."""

    payload: bytes
    marker: bool


def event_packets(
    digit: str, duration_ms: int = 100, packet_ms: int = 20, volume: int = 10, rate: int = 8000
) -> list[EventPacket]:
    """Packets for one key press: start (marker), updates every packet_ms, three end packets."""
    code = event_code(digit)
    step = rate * packet_ms // 1000
    total = max(step, rate * duration_ms // 1000)
    packets = [
        EventPacket(
            encode_event(TelephoneEvent(code, False, volume, elapsed)), marker=elapsed == step
        )
        for elapsed in range(step, total, step)
    ]
    end = encode_event(TelephoneEvent(code, True, volume, total))
    packets.extend(EventPacket(end, marker=not packets and i == 0) for i in range(END_PACKETS))
    return packets
