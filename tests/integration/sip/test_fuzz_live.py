"""Malformed and truncated SIP thrown at a live user agent over UDP while a call is up:
nothing escapes, malformed requests with usable headers get a 400, and the call goes on."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dozvon.sip.ua import UaConfig, UserAgent

from .conftest import FAST_TIMERS, SippFactory

pytestmark = pytest.mark.sip

T = TypeVar("T")

REQUEST = (
    b"OPTIONS sip:robot@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKf@N@\r\n"
    b"From: <sip:fuzz@127.0.0.1>;tag=@N@\r\nTo: <sip:robot@127.0.0.1>\r\nCall-ID: fuzz-@N@\r\n"
    b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)
RESPONSE = (
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnone\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: none\r\nCSeq: 1 INVITE\r\n\r\n"
)


class LoopThread:
    """The UA lives on its own loop so hypothesis (synchronous) can shoot at it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def loop_thread() -> Iterator[LoopThread]:
    runner = LoopThread()
    yield runner
    runner.close()


@st.composite
def hostile(draw: st.DrawFn) -> bytes:
    template = draw(st.sampled_from([REQUEST, RESPONSE]))
    data = template.replace(b"@N@", str(draw(st.integers(0, 10**6))).encode())
    cut = draw(st.integers(0, len(data)))
    kind = draw(st.sampled_from(["truncate", "splice", "random", "bad-length"]))
    if kind == "truncate":
        return data[:cut] or b"x"
    if kind == "splice":
        return data[:cut] + draw(st.binary(min_size=1, max_size=30)) + data[cut:]
    if kind == "bad-length":
        return data.replace(b"Content-Length: 0", b"Content-Length: 99")
    return draw(st.binary(min_size=1, max_size=400))


def test_live_agent_survives_hostile_datagrams(sipp: SippFactory, loop_thread: LoopThread) -> None:
    errors = ErrorLog()
    logging.getLogger("dozvon.sip").addHandler(errors)
    callee = sipp.start("uas_answer_info", "-m", "1")
    agent = UserAgent(UaConfig(port=0, timers=FAST_TIMERS))
    loop_thread.run(agent.start())
    shooter = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    shooter.bind(("127.0.0.1", 0))
    shooter.settimeout(0.5)
    try:
        call = loop_thread.run(agent.dial(callee.uri, ring_timeout=5))
        assert loop_thread.run(asyncio.wait_for(call.wait_answered(), 5))

        @given(hostile())
        @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        def shoot(payload: bytes) -> None:
            shooter.sendto(payload, ("127.0.0.1", agent.port))

        shoot()
        # a request broken only in its Content-Length still gets a 400 naming the fault
        shooter.sendto(REQUEST.replace(b"Content-Length: 0", b"Content-Length: 99"),
                       ("127.0.0.1", agent.port))  # fmt: skip
        replies = []
        while True:
            try:
                replies.append(shooter.recv(65535))
            except TimeoutError:
                break
        assert any(r.startswith(b"SIP/2.0 400") and b"truncated" in r for r in replies)
        # the call that was up the whole time still works end to end
        assert loop_thread.run(call.collect_digits(2, timeout=5)) == "59"
        loop_thread.run(call.hangup())
        assert callee.process.wait(5) == 0
        assert errors.records == []
    finally:
        shooter.close()
        loop_thread.run(agent.stop())
        logging.getLogger("dozvon.sip").removeHandler(errors)
