"""A real peer: sipp's `-rtp_echo` sends our RTP straight back, so our session hears itself.

sipp echoes on its media port from start-up, no SIP call needed; setting up calls is the SIP
layer's tests' job. The echo keeps our SSRC and sequence numbers, as a media relay would.
"""

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dozvon.media import Codec, DtmfEvent, MediaEngine
from tests.integration.media.waiting import eventually

pytestmark = pytest.mark.sip


def _free_udp_port(pairs: int = 1) -> int:
    """An even port p with p, p+2, … (sipp's audio and video) all free right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1] & ~1
        try:
            for offset in range(0, 2 * pairs + 1, 2):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as check:
                    check.bind(("127.0.0.1", port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no free UDP port pair")


@pytest.fixture
def sipp_echo_port() -> Iterator[int]:
    media_port = _free_udp_port(pairs=1)
    started = subprocess.run(
        [
            "sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(_free_udp_port()),
            "-cp", str(_free_udp_port()), "-mi", "127.0.0.1", "-mp", str(media_port),
            "-rtp_echo", "-bg", "-nostdin",
        ],
        capture_output=True,
        text=True,
        check=False,  # with -bg sipp exits 99 after forking
    )  # fmt: skip
    found = re.search(r"PID=\[(\d+)\]", started.stdout + started.stderr)
    assert found, f"sipp did not start: {started.stdout} {started.stderr}"
    pid = int(found.group(1))
    try:
        yield media_port
    finally:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):  # not our child, so poll until it is gone
            if not Path(f"/proc/{pid}").exists():
                break
            time.sleep(0.05)


async def test_sipp_echoes_our_prompt_and_our_rfc4733_digit(sipp_echo_port: int) -> None:
    engine = MediaEngine(port_range=(32000, 34000))
    await engine.start()
    try:
        session = await engine.open_session()
        session.set_remote("127.0.0.1", sipp_echo_port, Codec.PCMU, telephone_event_pt=101)
        heard: list[bytes] = []
        digits: list[DtmfEvent] = []
        session.add_tap(heard.append)
        session.on_digit(digits.append)
        n = np.arange(8000)
        prompt = (6000 * np.sin(2 * np.pi * 1000 * n / 8000)).astype("<i2").tobytes()
        assert await session.play(prompt).done() is True
        assert await session.send_digit("9") is True
        await eventually(lambda: bool(digits) and len(heard) >= 50)
        echoed = np.frombuffer(b"".join(heard), dtype="<i2").astype(float)
        spectrum = np.abs(np.fft.rfft(echoed))
        assert np.argmax(spectrum) * 8000 / echoed.size == pytest.approx(1000, abs=10)
        assert [(d.digit, d.source) for d in digits] == [("9", "rfc4733")]
        stats = session.stats
        assert stats.packets_received >= 50 and stats.lost == 0 and stats.malformed == 0
        assert session.remote_address == ("127.0.0.1", sipp_echo_port)
    finally:
        await engine.stop()
