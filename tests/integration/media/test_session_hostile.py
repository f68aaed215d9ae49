"""Hostile and unexpected input reaching a live session: counted, dropped, never fatal."""

import random
import socket

import numpy as np
import pytest

from dozvon.media import Codec, DtmfEvent, MediaEngine, RtpSession, rtp
from tests.integration.media.waiting import eventually


def _udp() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


async def test_garbage_datagrams_are_counted_and_the_call_goes_on(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair
    junk = (b"", b"\x00", b"\xff" * 11, b"\x80", b"\xa0" + bytes(11) + b"\xff", b"hello")
    with _udp() as attacker:
        for datagram in junk:
            attacker.sendto(datagram, ("127.0.0.1", callee.local_port))
        await eventually(lambda: callee.stats.malformed >= len(junk))
    assert callee.stats.malformed == len(junk)
    digits: list[DtmfEvent] = []
    callee.on_digit(digits.append)
    await caller.send_digit("4")
    await eventually(lambda: bool(digits))
    assert [d.digit for d in digits] == ["4"]


async def test_fuzzed_and_mutated_packets_never_escape_the_session(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair
    callee.enable_inband_detection()
    rng = random.Random(2024)
    valid = rtp.build(101, 7, 1600, 9, b"\x05\x8a\x03\x20")
    source = ("127.0.0.1", caller.local_port)
    for _ in range(3000):
        if rng.random() < 0.5:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(60)))
        else:
            mutated = bytearray(valid[: rng.randrange(len(valid) + 1)])
            for _ in range(rng.randrange(4)):
                if mutated:
                    mutated[rng.randrange(len(mutated))] ^= 1 << rng.randrange(8)
            data = bytes(mutated)
        before = callee.stats.packets_received + callee.stats.malformed
        callee._on_datagram(data, source)
        assert callee.stats.packets_received + callee.stats.malformed == before + 1
    assert callee.stats.malformed > 1000 and callee.stats.packets_received > 100


async def test_after_latching_packets_from_elsewhere_are_foreign(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair
    await eventually(lambda: callee.stats.packets_received > 0)  # latched on the caller
    heard: list[bytes] = []
    callee.add_tap(heard.append)
    loud = b"\x00" * 160  # A-law 0x00 decodes to -5504, unlike the caller's silence
    with _udp() as intruder:
        for seq in range(5):
            packet = rtp.build(8, seq, seq * 160, 77, loud)
            intruder.sendto(packet, ("127.0.0.1", callee.local_port))
        await eventually(lambda: callee.stats.foreign >= 5 and len(heard) >= 5)
    assert callee.stats.foreign == 5
    assert callee.remote_address == ("127.0.0.1", caller.local_port)
    assert heard and all(np.frombuffer(f, dtype="<i2").min() > -5000 for f in heard)


async def test_unknown_payload_types_are_counted(engine: MediaEngine) -> None:
    session = await engine.open_session()
    with _udp() as peer:
        session.set_remote("127.0.0.1", peer.getsockname()[1], Codec.PCMA, 101)
        peer.sendto(rtp.build(13, 1, 0, 5, b"\x40"), ("127.0.0.1", session.local_port))
        await eventually(lambda: session.stats.packets_received > 0)
    assert session.stats.unknown_payload == 1
    assert session.stats.packets_received == 1


async def test_set_remote_and_send_digit_refuse_bad_input(engine: MediaEngine) -> None:
    session = await engine.open_session()
    with pytest.raises(ValueError, match="IP address"):
        session.set_remote("pbx.example.org", 5004, Codec.PCMA)
    with pytest.raises(ValueError, match="port"):
        session.set_remote("127.0.0.1", 0, Codec.PCMA)
    with pytest.raises(ValueError, match="dynamic"):
        session.set_remote("127.0.0.1", 5004, Codec.PCMA, telephone_event_pt=8)
    session.set_remote("127.0.0.1", 5004, Codec.PCMA)
    with pytest.raises(ValueError, match="telephone-event"):
        await session.send_digit("1")
    with pytest.raises(ValueError, match="not a DTMF key"):
        await session.send_digit("x", method="inband")
