"""sipp as the caller, our UA answering (UAS side), and `dozvon listen`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from dozvon.sip.call import Call
from dozvon.sip.ua import UaConfig, UserAgent

from .conftest import FAST_TIMERS, Sipp, SippFactory, free_port, stop_process, wait_for_port

pytestmark = pytest.mark.sip


async def answer_one(
    ua: UserAgent, sipp: SippFactory, scenario: str, *extra: str
) -> tuple[Call, str, Sipp]:
    """Let a sipp caller run `scenario` against us; we answer and wait for one key."""
    seen: list[tuple[Call, str]] = []

    async def answer(call: Call) -> None:
        await call.answer()
        seen.append((call, await call.collect_digits(1, timeout=3)))
        await call.ended.wait()

    ua.on_incoming = answer
    caller = sipp.start(scenario, "-m", "1", *extra, f"127.0.0.1:{ua.port}")
    assert await asyncio.to_thread(caller.process.wait, 10) == 0
    [(call, digits)] = seen
    await asyncio.wait_for(call.ended.wait(), 2)
    return call, digits, caller


async def test_incoming_call_answered_and_hung_up_by_caller(
    media_ua: UserAgent, sipp: SippFactory
) -> None:
    call, digits, _ = await answer_one(media_ua, sipp, "uac_call")
    assert digits == "3"
    assert call.direction == "in"
    assert call.result.answered
    assert call.result.hangup_by == "them"
    assert call.stream is not None and call.stream.codec == "PCMU"  # the caller's first choice


async def test_incoming_call_cancelled_by_caller(ua: UserAgent, sipp: SippFactory) -> None:
    seen: list[Call] = []

    async def never_answer(call: Call) -> None:
        seen.append(call)
        await call.ended.wait()

    ua.on_incoming = never_answer
    caller = sipp.start("uac_cancel", "-m", "1", f"127.0.0.1:{ua.port}")
    assert await asyncio.to_thread(caller.process.wait, 10) == 0
    [call] = seen
    assert call.result.sip_status == 487
    assert call.result.hangup_by == "them"
    assert not call.result.answered


async def test_no_handler_means_480(ua: UserAgent, sipp: SippFactory) -> None:
    caller = sipp.start("uac_cancel", "-m", "1", f"127.0.0.1:{ua.port}")
    # the scenario expects a 180 and gets a 480: sipp reports a failed call
    assert await asyncio.to_thread(caller.process.wait, 10) != 0


def test_dozvon_listen_answers(sipp: SippFactory, tmp_path: Path) -> None:
    port = free_port()
    listener = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dozvon"),
            "listen",
            "--port",
            str(port),
            "--calls",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, listener)
        caller = sipp.start("uac_call", "-m", "1", f"127.0.0.1:{port}")
        assert caller.process.wait(10) == 0
        out, _ = listener.communicate(timeout=10)
    finally:
        stop_process(listener)
    assert b'"digits": "3"' in out


async def test_late_offer_answer_comes_in_the_ack(media_ua: UserAgent, sipp: SippFactory) -> None:
    call, digits, caller = await answer_one(media_ua, sipp, "uac_late_offer")
    assert call.stream is not None and call.stream.remote_port == caller.media_port
    assert digits == "1"  # RTP flowed both ways only because the ACK's SDP was used


async def test_missing_ack_ends_the_call_with_bye(ua: UserAgent, sipp: SippFactory) -> None:
    seen: list[Call] = []

    async def answer(call: Call) -> None:
        seen.append(call)
        await call.answer()
        await call.ended.wait()

    ua.on_incoming = answer
    caller = sipp.start("uac_no_ack", "-m", "1", f"127.0.0.1:{ua.port}")
    assert await asyncio.to_thread(caller.process.wait, 15) == 0  # it got our BYE
    [call] = seen
    assert call.result.hangup_by == "us"
    assert call.result.reason == "no ACK"
    assert call.result.talk_seconds >= 3.2  # we waited 64*T1 before giving up


async def test_incoming_call_over_tcp(sipp: SippFactory) -> None:
    agent = UserAgent(UaConfig(port=free_port(), tcp=True, timers=FAST_TIMERS))
    await agent.start()
    try:
        call, digits, _ = await answer_one(agent, sipp, "uac_call", "-t", "t1")
    finally:
        await agent.stop()
    assert digits == "3"  # the INFO, and every response, crossed one TCP connection
    assert call.result.hangup_by == "them"
