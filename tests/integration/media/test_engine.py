import socket

import pytest

from dozvon.media import Codec, MediaEngine
from dozvon.media.engine import MediaError


async def test_open_before_start_is_refused() -> None:
    with pytest.raises(MediaError, match="start"):
        await MediaEngine().open_session()


async def test_ports_are_even_and_a_port_taken_elsewhere_is_skipped() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", 0))
        taken = squatter.getsockname()[1] & ~1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind(("127.0.0.1", taken))
        engine = MediaEngine(port_range=(taken, taken + 6))
        await engine.start()
        try:
            ports = [(await engine.open_session()).local_port for _ in range(2)]
            assert ports == [taken + 2, taken + 4]
            with pytest.raises(MediaError, match="no free RTP port"):
                await engine.open_session()
        finally:
            await engine.stop()


async def test_a_closed_session_frees_its_port_and_ends_its_work(engine: MediaEngine) -> None:
    session = await engine.open_session()
    session.set_remote("127.0.0.1", 9, Codec.PCMU, 101)
    handle = session.play(bytes(32000))
    await session.close()
    assert session.closed and session not in engine.sessions
    assert await handle.done() is False
    assert await session.send_digit("1") is False
    again = await engine.open_session()
    assert again.local_port != session.local_port  # round-robin: no instant reuse


async def test_engine_stop_closes_every_session() -> None:
    engine = MediaEngine(port_range=(35000, 35100))
    await engine.start()
    sessions = [await engine.open_session() for _ in range(3)]
    await engine.stop()
    assert all(s.closed for s in sessions) and engine.sessions == []
    assert not engine.clock.running
