import random
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dozvon.media import rfc4733, rtp
from dozvon.media.rfc4733 import EventReceiver, TelephoneEvent
from tests.unit.media.pcap import read_udp

SIPP_CAPTURES = Path("/usr/share/sip-tester")
SIPP_DIGITS = {**{str(d): str(d) for d in range(10)}, "pound": "#", "star": "*"}


@given(st.integers(0, 255), st.booleans(), st.integers(0, 63), st.integers(0, 65535))
def test_event_payload_round_trips(code: int, end: bool, volume: int, duration: int) -> None:
    event = TelephoneEvent(code, end, volume, duration)
    assert rfc4733.decode_event(rfc4733.encode_event(event)) == event


def test_short_payload_is_rejected_and_counted_not_raised() -> None:
    with pytest.raises(ValueError, match="too short"):
        rfc4733.decode_event(b"\x01\x80")
    receiver = EventReceiver()
    assert receiver.feed(1000, b"\x01") is None
    assert receiver.malformed == 1


def test_non_dtmf_events_are_not_digits() -> None:
    receiver = EventReceiver()
    flash = rfc4733.encode_event(TelephoneEvent(16, False, 10, 160))
    assert receiver.feed(1000, flash) is None


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DTMF key"):
        rfc4733.event_code("x")


@pytest.mark.parametrize("name", sorted(SIPP_DIGITS))
def test_sipp_capture_gives_exactly_one_digit(name: str) -> None:
    """sipp's own captures: marker start, updates, the end packet three times (same seq)."""
    packets = [rtp.parse(d.payload) for d in read_udp(SIPP_CAPTURES / f"dtmf_2833_{name}.pcap")]
    assert sum(1 for p in packets if rfc4733.decode_event(p.payload).end) == 3
    direct = EventReceiver()
    assert [d for p in packets if (d := direct.feed(p.timestamp, p.payload))] == [SIPP_DIGITS[name]]
    # The same packets through the reordering receiver, as a session sees them.
    ordered, events = rtp.RtpReceiver(), EventReceiver()
    digits = [
        d
        for p in packets
        for ready in ordered.push(p)
        if (d := events.feed(ready.timestamp, ready.payload))
    ]
    assert digits == [SIPP_DIGITS[name]]
    assert ordered.stats.duplicate == 2


def test_sent_event_has_marker_start_updates_and_three_end_packets() -> None:
    packets = rfc4733.event_packets("#", duration_ms=100)
    events = [rfc4733.decode_event(p.payload) for p in packets]
    assert [p.marker for p in packets] == [True] + [False] * (len(packets) - 1)
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert {e.digit for e in events} == {"#"}


def test_retransmitted_and_shuffled_packets_of_each_press_give_one_digit_each() -> None:
    rng = random.Random(7)
    receiver = EventReceiver()
    heard = []
    for press, key in enumerate("1155#"):
        packets = rfc4733.event_packets(key) * 2
        rng.shuffle(packets)
        heard += [d for p in packets if (d := receiver.feed(8000 * press, p.payload))]
    assert heard == list("1155#")
