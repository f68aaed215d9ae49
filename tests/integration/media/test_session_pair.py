"""Two RtpSessions talking over loopback through one engine's shared clock."""

import asyncio
import wave
from pathlib import Path

import numpy as np

from dozvon.media import Codec, DtmfEvent, RtpSession
from tests.integration.media.waiting import eventually


def _sine(seconds: float, frequency: float = 440.0) -> bytes:
    n = np.arange(int(8000 * seconds))
    return (8000 * np.sin(2 * np.pi * frequency * n / 8000)).astype("<i2").tobytes()


async def test_play_reaches_the_peer_tap(pair: tuple[RtpSession, RtpSession]) -> None:
    caller, callee = pair
    heard: list[bytes] = []
    callee.add_tap(heard.append)
    assert await caller.play(_sine(0.5)).done() is True

    def loud_frames() -> list[float]:
        levels = [
            float(np.sqrt(np.mean(np.frombuffer(f, "<i2").astype(float) ** 2))) for f in heard
        ]
        return [level for level in levels if level > 1000]

    await eventually(lambda: len(loud_frames()) >= 25)
    # Exactly the prompt's 25 frames, each at the sine's level (RMS 5657) after A-law both ways.
    assert len(loud_frames()) == 25
    assert all(5300 < level < 6000 for level in loud_frames())
    assert callee.stats.lost == 0


async def test_digits_both_ways_every_method(pair: tuple[RtpSession, RtpSession]) -> None:
    caller, callee = pair
    to_callee: list[DtmfEvent] = []
    to_caller: list[DtmfEvent] = []
    callee.on_digit(to_callee.append)
    caller.on_digit(to_caller.append)
    callee.enable_inband_detection()
    caller.enable_inband_detection()
    for key in "19#":
        assert await caller.send_digit(key) is True
    assert await caller.send_digit("5", method="inband") is True
    assert await callee.send_digit("*") is True
    assert await callee.send_digit("0", method="inband") is True
    await eventually(lambda: len(to_callee) >= 4 and len(to_caller) >= 2)
    assert [(e.digit, e.source) for e in to_callee] == [
        ("1", "rfc4733"),
        ("9", "rfc4733"),
        ("#", "rfc4733"),
        ("5", "inband"),
    ]
    assert [(e.digit, e.source) for e in to_caller] == [("*", "rfc4733"), ("0", "inband")]


async def test_digit_stops_a_barge_in_prompt(pair: tuple[RtpSession, RtpSession]) -> None:
    caller, callee = pair
    prompt = callee.play(_sine(5.0), stop_on_digit=True)
    keeps_playing = callee.play(_sine(0.2))
    await caller.send_digit("2")
    assert await asyncio.wait_for(prompt.done(), 1.0) is False
    assert await asyncio.wait_for(keeps_playing.done(), 1.0) is True


async def test_injected_info_digit_is_reported(pair: tuple[RtpSession, RtpSession]) -> None:
    _, callee = pair
    seen: list[DtmfEvent] = []
    callee.on_digit(seen.append)
    callee.inject_digit("7")
    assert [(e.digit, e.source) for e in seen] == [("7", "info")]


async def test_recording_is_two_channel_8k_wav(
    pair: tuple[RtpSession, RtpSession], tmp_path: Path
) -> None:
    caller, callee = pair
    path = tmp_path / "call.wav"
    callee.start_recording(path)
    await caller.play(_sine(0.4, 440.0)).done()
    await callee.play(_sine(0.4, 1000.0)).done()
    callee.stop_recording()
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert frames.shape[0] >= 8000 * 0.8
    left, right = frames[:, 0].astype(float), frames[:, 1].astype(float)
    # Left holds what the caller sent, right what the callee played: each loud, never both.
    assert np.abs(left).max() > 4000 and np.abs(right).max() > 4000
    # (at most ~6 frames overlap: the recorder lets the peer lag by up to 5 frames of jitter)
    assert np.count_nonzero((np.abs(left) > 1000) & (np.abs(right) > 1000)) < 1000


async def test_symmetric_rtp_latches_on_the_real_source(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair
    # The callee's SDP pointed at a wrong port; the caller's packets teach it the right one.
    callee.set_remote("127.0.0.1", 9, Codec.PCMA, telephone_event_pt=101)
    assert callee.remote_address == ("127.0.0.1", 9)
    await eventually(lambda: callee.remote_address != ("127.0.0.1", 9))
    assert callee.remote_address == ("127.0.0.1", caller.local_port)


async def test_renegotiating_without_telephone_event_abandons_pending_digits(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair
    pending = asyncio.ensure_future(caller.send_digit("1", duration_ms=500))
    await asyncio.sleep(0.05)
    caller.set_remote("127.0.0.1", callee.local_port, Codec.PCMA, telephone_event_pt=None)
    assert await pending is False


async def test_collect_digits_stops_at_count_terminator_or_timeout(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair

    async def press(keys: str) -> None:
        for key in keys:
            await caller.send_digit(key, duration_ms=60)

    pressing = asyncio.ensure_future(press("12#9"))
    assert await callee.collect_digits(5, timeout=10) == "12"
    await pressing
    pressing = asyncio.ensure_future(press("3456"))
    assert await callee.collect_digits(2, timeout=10) == "34"
    await pressing
    # One key, then a pause: the inter-digit timeout ends it long before the overall one.
    collecting = asyncio.ensure_future(callee.collect_digits(4, 60, inter_digit_timeout=0.3))
    await asyncio.sleep(0)
    callee.inject_digit("8")
    assert await asyncio.wait_for(collecting, 10) == "8"
    assert await asyncio.wait_for(callee.collect_digits(4, timeout=0.05), 10) == ""


async def test_a_session_refresh_keeps_the_latched_source(
    pair: tuple[RtpSession, RtpSession],
) -> None:
    caller, callee = pair
    callee.set_remote("127.0.0.1", 9, Codec.PCMA, telephone_event_pt=101)  # SDP says port 9
    await eventually(lambda: callee.remote_address == ("127.0.0.1", caller.local_port))
    callee.set_remote("127.0.0.1", 9, Codec.PCMU, telephone_event_pt=101)  # re-INVITE, same SDP
    assert callee.remote_address == ("127.0.0.1", caller.local_port)
