"""Calls with real RTP against sipp: DTMF in all three forms, early media, prompts."""

from __future__ import annotations

import asyncio

import pytest

from dozvon.media.dtmf_inband import tone
from dozvon.media.g711 import Codec, encode
from dozvon.sip.ua import UserAgent

from .conftest import SippFactory

pytestmark = pytest.mark.sip


async def test_rfc4733_digits(media_ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_answer_4733")
    call = await media_ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    digits = await call.collect_digits(2, timeout=5)
    await call.hangup()
    assert digits == "12"


async def test_inband_digits(media_ua: UserAgent, sipp: SippFactory) -> None:
    silence = bytes(1600)
    pcm = silence + tone("4", 120) + silence + tone("7", 120) + silence
    (sipp.workdir / "tones.alaw").write_bytes(encode(Codec.PCMA, pcm))
    callee = sipp.start("uas_answer_inband")
    call = await media_ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    call.enable_inband_dtmf()
    digits = await call.collect_digits(2, timeout=5)
    await call.hangup()
    assert digits == "47"


async def test_early_media_digit_before_answer(media_ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_early_media")
    call = await media_ua.dial(callee.uri, ring_timeout=5)
    digits = await call.collect_digits(1, timeout=3)
    assert digits == "1"
    assert not call.answered.is_set()  # the key came over early media, before the 200
    assert await asyncio.wait_for(call.wait_answered(), 5)
    await call.hangup()


async def test_prompt_plays_to_the_end(media_ua: UserAgent, sipp: SippFactory) -> None:
    callee = sipp.start("uas_answer_info", echo=True)
    call = await media_ua.dial(callee.uri, ring_timeout=5)
    assert await asyncio.wait_for(call.wait_answered(), 5)
    heard: list[bytes] = []
    call.add_audio_tap(heard.append)
    assert await call.play(tone("5", 400), barge_in=False)
    await call.hangup()
    assert len(heard) >= 10  # sipp echoed our prompt back
