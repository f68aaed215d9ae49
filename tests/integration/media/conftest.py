"""Fixtures: a started MediaEngine and a pair of sessions pointed at each other over loopback."""

from collections.abc import AsyncIterator

import pytest

from dozvon.media import Codec, MediaEngine, RtpSession


@pytest.fixture
async def engine() -> AsyncIterator[MediaEngine]:
    media = MediaEngine(host="127.0.0.1", port_range=(30000, 32000))
    await media.start()
    yield media
    await media.stop()


@pytest.fixture
async def pair(engine: MediaEngine) -> tuple[RtpSession, RtpSession]:
    caller = await engine.open_session()
    callee = await engine.open_session()
    caller.set_remote("127.0.0.1", callee.local_port, Codec.PCMA, telephone_event_pt=101)
    callee.set_remote("127.0.0.1", caller.local_port, Codec.PCMA, telephone_event_pt=101)
    return caller, callee
