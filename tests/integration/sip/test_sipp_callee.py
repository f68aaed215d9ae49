"""Our UAC against sipp callees: every signalling outcome of an outgoing call."""

from __future__ import annotations

import asyncio

import pytest

from dozvon.channels.voice.signalling import signalling_outcome
from dozvon.core.outcome import Outcome
from dozvon.sip.ua import UserAgent

from .conftest import SippFactory

pytestmark = pytest.mark.sip


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        ("486", "Busy Here", Outcome.BUSY),
        ("603", "Decline", Outcome.REJECTED),
        ("404", "Not Found", Outcome.INVALID_NUMBER),
        ("480", "Temporarily Unavailable", Outcome.NO_ANSWER),
    ],
)
async def test_rejections_map_to_outcomes(
    ua: UserAgent, sipp: SippFactory, status: str, reason: str, outcome: Outcome
) -> None:
    callee = sipp.start("uas_reject", "-m", "1", status=status, reason=reason)
    call = await ua.dial(callee.uri, ring_timeout=5)
    await asyncio.wait_for(call.ended.wait(), 5)
    assert call.result.sip_status == int(status)
    assert not call.result.answered
    assert call.result.hangup_by is None
    assert signalling_outcome(call.result) is outcome
    assert await asyncio.to_thread(callee.process.wait, 5) == 0  # our ACK reached sipp


async def test_ring_timeout_cancels_and_gets_487(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_ring_forever", "-m", "1")
    call = await ua.dial(callee.uri, ring_timeout=0.6)
    await asyncio.wait_for(call.ringing.wait(), 3)
    await asyncio.wait_for(call.ended.wait(), 5)
    assert call.result.cancelled
    assert call.result.sip_status == 487
    assert call.result.ring_seconds >= 0.6
    assert signalling_outcome(call.result) is Outcome.NO_ANSWER
    assert await asyncio.to_thread(callee.process.wait, 5) == 0  # CANCEL, 487 and ACK all matched


async def test_no_response_is_timer_b(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_silent")
    call = await ua.dial(callee.uri, ring_timeout=30)
    await asyncio.wait_for(call.ended.wait(), 10)
    assert call.result.timed_out
    assert call.result.sip_status is None
    assert signalling_outcome(call.result) is Outcome.NETWORK_ERROR


async def test_callee_hangs_up(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_answer_hangup")
    call = await ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    await asyncio.wait_for(call.ended.wait(), 5)
    assert call.result.hangup_by == "them"
    assert call.result.answered
    assert call.result.talk_seconds >= 0.9
    assert signalling_outcome(call.result) is None


async def test_sip_info_dtmf_then_we_hang_up(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_answer_info", "-m", "1")
    call = await ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    digits = await call.collect_digits(2, timeout=5)
    await call.hangup()
    assert digits == "59"
    assert call.result.hangup_by == "us"
    # sipp exits 0 only if every step passed, including the 200 to our BYE
    assert await asyncio.to_thread(callee.process.wait, 5) == 0


async def test_early_media_sdp_before_answer(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_early_media")
    call = await ua.dial(callee.uri, ring_timeout=5)
    await asyncio.wait_for(call.ringing.wait(), 3)
    assert not call.answered.is_set()
    assert call.stream is not None
    assert call.stream.remote_port == callee.media_port
    assert call.stream.codec == "PCMA"
    assert await asyncio.wait_for(call.wait_answered(), 5)
    await call.hangup()


async def test_hold_by_reinvite_and_resume_by_update(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_answer_hold", "-m", "1")
    call = await ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    # the INFO comes after both refreshes: by then we answered recvonly, then sendrecv
    assert await call.collect_digits(1, timeout=5) == "7"
    assert call.stream is not None and not call.stream.on_hold
    await call.hangup()
    assert await asyncio.to_thread(callee.process.wait, 5) == 0  # sipp checked our SDP answers


async def test_transfer_by_refer(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_answer_refer", "-m", "1")
    call = await ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    assert await call.transfer("sip:operator@127.0.0.1")
    assert call.result.hangup_by == "us"
    assert await asyncio.to_thread(callee.process.wait, 5) == 0


async def test_second_fork_answer_is_acked_and_hung_up(ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_forked_answer", "-m", "1")
    call = await ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    await asyncio.sleep(0.5)  # the second fork answers, we ACK and BYE it
    assert call.is_active  # the first dialog is untouched
    await call.hangup()
    assert await asyncio.to_thread(callee.process.wait, 5) == 0  # sipp checked the fork's BYE


async def test_redirect_is_followed(ua: UserAgent, sipp: SippFactory) -> None:
    final = sipp.start("uas_answer_info", "-m", "1")
    redirector = sipp.start("uas_redirect", "-m", "1", target=final.uri)
    call = await ua.dial(redirector.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    assert await call.collect_digits(2, timeout=5) == "59"
    await call.hangup()
    assert await asyncio.to_thread(redirector.process.wait, 5) == 0  # our ACK to the 302
    assert await asyncio.to_thread(final.process.wait, 5) == 0
