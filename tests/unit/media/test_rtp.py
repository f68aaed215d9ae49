import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dozvon.media import rtp
from dozvon.media.rtp import RtpPacket, RtpParseError, RtpReceiver


def _packet(sequence: int, ssrc: int = 0x1234, payload: bytes = b"x") -> RtpPacket:
    return RtpPacket(8, sequence % 65536, sequence * 160, ssrc, payload)


@given(
    st.integers(0, 127),
    st.integers(0, 65535),
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.binary(max_size=200),
    st.booleans(),
)
def test_build_then_parse_round_trips(
    pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool
) -> None:
    packet = rtp.parse(rtp.build(pt, seq, ts, ssrc, payload, marker))
    assert packet == RtpPacket(pt, seq, ts, ssrc, payload, marker)


def test_parse_skips_csrcs_extension_and_padding() -> None:
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0x80 | 0, 7, 1000, 42)
    csrcs = struct.pack("!II", 1, 2)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00\x00\x00\x00"
    data = header + csrcs + extension + b"audio" + b"\x00\x00\x03"
    packet = rtp.parse(data)
    assert (packet.payload, packet.csrcs, packet.marker, packet.payload_type) == (
        b"audio",
        (1, 2),
        True,
        0,
    )


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "too short"),
        (b"\x80\x08\x00\x01\x00\x00", "too short"),
        (b"\x40" + bytes(11), "version 1"),
        (b"\x83" + bytes(11) + b"\x00\x00\x00\x01", "CSRCs"),
        (b"\x90" + bytes(11) + b"\x00\x00", "extension"),
        (b"\x90" + bytes(11) + b"\x00\x00\x00\x05", "runs past"),
        (b"\xa0" + bytes(11) + b"ab\x00", "padding"),
        (b"\xa0" + bytes(11) + b"ab\x09", "padding"),
    ],
)
def test_hostile_packets_raise_a_clear_parse_error(data: bytes, problem: str) -> None:
    with pytest.raises(RtpParseError, match=problem):
        rtp.parse(data)


@given(st.binary(max_size=80))
def test_any_bytes_parse_or_raise_only_rtp_parse_error(data: bytes) -> None:
    try:
        packet = rtp.parse(data)
    except RtpParseError:
        return
    assert len(packet.payload) <= len(data) - rtp.HEADER_SIZE


@given(st.binary(min_size=1, max_size=60), st.data())
def test_every_truncation_of_a_valid_packet_is_handled(payload: bytes, data: st.DataObject) -> None:
    whole = rtp.build(0, 1, 2, 3, payload)
    cut = data.draw(st.integers(0, len(whole)))
    try:
        assert rtp.parse(whole[:cut]).payload == payload[: max(0, cut - rtp.HEADER_SIZE)]
    except RtpParseError:
        assert cut < rtp.HEADER_SIZE


def _sequences(receiver: RtpReceiver, order: list[int], ssrc: int = 0x1234) -> list[int]:
    delivered = []
    for seq in order:
        delivered += [p.sequence for p in receiver.push(_packet(seq, ssrc))]
    return delivered


def test_in_order_stream_passes_straight_through() -> None:
    receiver = RtpReceiver()
    assert _sequences(receiver, [10, 11, 12]) == [10, 11, 12]
    assert receiver.stats.lost == 0


def test_reordered_packets_come_out_in_order() -> None:
    receiver = RtpReceiver()
    assert _sequences(receiver, [1, 3, 2, 4, 6, 5]) == [1, 2, 3, 4, 5, 6]
    assert (receiver.stats.lost, receiver.stats.late) == (0, 0)


def test_a_lost_packet_is_given_up_after_the_window_and_its_late_arrival_dropped() -> None:
    receiver = RtpReceiver(depth=3)
    assert _sequences(receiver, [1, 3, 4]) == [1]
    assert _sequences(receiver, [5]) == [3, 4, 5]
    assert _sequences(receiver, [2]) == []
    assert (receiver.stats.lost, receiver.stats.late) == (1, 1)


def test_duplicates_are_counted_and_dropped() -> None:
    receiver = RtpReceiver()
    assert _sequences(receiver, [1, 2, 2, 1, 4, 4]) == [1, 2]
    assert receiver.stats.duplicate == 3


def test_sequence_wraps_around() -> None:
    receiver = RtpReceiver()
    assert _sequences(receiver, [65534, 0, 65535, 1]) == [65534, 65535, 0, 1]
    assert receiver.stats.lost == 0


def test_new_ssrc_restarts_the_stream() -> None:
    receiver = RtpReceiver()
    _sequences(receiver, [100, 101])
    assert _sequences(receiver, [5000, 5001], ssrc=99) == [5000, 5001]
    assert (receiver.stats.restarts, receiver.stats.lost) == (1, 0)


def test_one_stray_packet_is_dropped_but_a_restarted_sequence_is_followed() -> None:
    receiver = RtpReceiver()
    _sequences(receiver, [100, 101])
    assert _sequences(receiver, [40000, 102]) == [102]
    assert receiver.stats.out_of_window == 1
    assert _sequences(receiver, [30000, 30001, 30002]) == [30001, 30002]
    assert receiver.stats.restarts == 1


def test_drain_releases_packets_held_behind_a_gap() -> None:
    receiver = RtpReceiver()
    _sequences(receiver, [1, 3])
    assert [p.sequence for p in receiver.drain()] == [3]
    assert receiver.stats.lost == 1


@given(st.data())
def test_receiver_invariants_under_loss_reordering_and_duplication(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, 65535))
    count = data.draw(st.integers(1, 200))
    sent = [start + i for i in range(count)]
    kept = [s for s in sent if not data.draw(st.booleans()) or s == start]
    arrival: list[int] = []
    for seq in kept:
        arrival.append(seq)
        if data.draw(st.integers(0, 9)) == 0:
            arrival.append(seq)
        if len(arrival) > 1 and data.draw(st.booleans()):
            arrival[-1], arrival[-2] = arrival[-2], arrival[-1]
    arrival.remove(start)
    arrival.insert(0, start)
    receiver = RtpReceiver()
    delivered = _sequences(receiver, [s % 65536 for s in arrival])
    delivered += [p.sequence for p in receiver.drain()]
    unwrapped = [start + (s - start) % 65536 for s in delivered]
    assert unwrapped == sorted(set(unwrapped))
    assert set(unwrapped) <= set(kept)
    stats = receiver.stats
    assert stats.received == len(arrival)
    assert stats.delivered == len(delivered)
    assert stats.delivered + stats.late + stats.duplicate == len(arrival)
    assert stats.delivered + stats.lost == unwrapped[-1] - start + 1
