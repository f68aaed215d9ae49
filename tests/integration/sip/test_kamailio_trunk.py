"""kamailio as the trunk: REGISTER with a 401, INVITE with a 407, a record-routed dialog."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from dozvon.sip.auth import Credentials
from dozvon.sip.ua import UaConfig, UserAgent

from .conftest import FAST_TIMERS, Kamailio, SippFactory

pytestmark = pytest.mark.sip


@asynccontextmanager
async def trunk_ua(
    trunk: Kamailio, transport: str = "udp", **extra: object
) -> AsyncIterator[UserAgent]:
    config = UaConfig(
        port=0,
        transport=transport,
        tcp=transport == "tcp",
        user="robot",
        domain="127.0.0.1",
        domain_port=trunk.port,
        credentials=Credentials("robot", "secret"),
        timers=FAST_TIMERS,
        **extra,  # type: ignore[arg-type]
    )
    agent = UserAgent(config)
    await agent.start()
    try:
        yield agent
    finally:
        await agent.stop()


async def test_register_answers_401_and_refreshes(
    sipp: SippFactory, kamailio_for: Callable[[int], Kamailio]
) -> None:
    trunk = kamailio_for(sipp.start("uas_answer_info").port)
    async with trunk_ua(trunk, register_expires=2) as agent:
        assert agent.registered
        first = agent.registered_until
        await asyncio.sleep(2.0)  # refresh is due at 80 % of the 2 s granted
        assert agent.registered_until > first


async def test_register_with_a_wrong_password_fails(
    sipp: SippFactory, kamailio_for: Callable[[int], Kamailio]
) -> None:
    trunk = kamailio_for(sipp.start("uas_answer_info").port)
    agent = UserAgent(
        UaConfig(port=0, user="robot", domain="127.0.0.1", domain_port=trunk.port,
                 credentials=Credentials("robot", "wrong"), timers=FAST_TIMERS)
    )  # fmt: skip
    await agent.start()
    try:
        assert not await agent.register(60)
        assert not agent.registered
    finally:
        await agent.stop()


async def test_invite_answers_407_and_dialog_is_record_routed(
    sipp: SippFactory, kamailio_for: Callable[[int], Kamailio]
) -> None:
    callee = sipp.start("uas_answer_info", "-m", "1")
    trunk = kamailio_for(callee.port)
    async with trunk_ua(trunk) as agent:
        call = await agent.dial("79161234567", ring_timeout=5)
        assert await asyncio.wait_for(call.wait_answered(), 5)
        assert call.dialog is not None
        assert len(call.dialog.route_set) == 1  # kamailio's Record-Route
        assert await call.collect_digits(2, timeout=5) == "59"  # INFO routed back through it
        await call.hangup()
    # sipp exits 0 only if our ACK and BYE came to it through the proxy
    assert await asyncio.to_thread(callee.process.wait, 5) == 0


async def test_tcp_to_the_trunk(sipp: SippFactory, kamailio_for: Callable[[int], Kamailio]) -> None:
    callee = sipp.start("uas_answer_info", "-m", "1")
    trunk = kamailio_for(callee.port)
    async with trunk_ua(trunk, transport="tcp", register_expires=60) as agent:
        assert agent.registered
        call = await agent.dial("79161234567", ring_timeout=5)
        assert await asyncio.wait_for(call.wait_answered(), 5)
        assert await call.collect_digits(2, timeout=5) == "59"
        await call.hangup()
    assert await asyncio.to_thread(callee.process.wait, 5) == 0


async def test_outbound_proxy_carries_a_call_to_a_foreign_uri(
    sipp: SippFactory, kamailio_for: Callable[[int], Kamailio]
) -> None:
    callee = sipp.start("uas_answer_info", "-m", "1")
    trunk = kamailio_for(callee.port)
    proxy = f"sip:127.0.0.1:{trunk.noauth_port}"
    async with trunk_ua(trunk, outbound_proxy=proxy) as agent:
        call = await agent.dial("sip:someone@192.0.2.10:5999", ring_timeout=5)
        assert await asyncio.wait_for(call.wait_answered(), 5)
        assert call.dialog is not None and len(call.dialog.route_set) == 1  # it went via the proxy
        assert await call.collect_digits(2, timeout=5) == "59"
        await call.hangup()
    assert await asyncio.to_thread(callee.process.wait, 5) == 0
