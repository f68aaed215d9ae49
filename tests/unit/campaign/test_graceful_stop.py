"""Stopping the daemon: no new calls, active calls get the grace period, the outbox is flushed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import time, timedelta

from sqlalchemy import select

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.mis.base import MisError
from dozvon.store import OutboxState, Store
from dozvon.store.models import AttemptRow, OutboxRow

from .conftest import ListSource, RecordingSink, visit

ALWAYS = CallingHours(time(0, 0), time(23, 59))


async def serve_then_stop(store: Store, grace: float) -> tuple[RecordingSink, SimulatedChannel]:
    clock = SystemClock()
    tomorrow = clock.now().replace(microsecond=0) + timedelta(days=1)
    source = ListSource([visit(f"v{i}", f"+7916000000{i}", tomorrow) for i in range(6)])
    sink = RecordingSink()
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 0.1, 0.6)), clock)
    runner = CampaignRunner(
        store, source, sink, {"c": CampaignSpec("c", hours=ALWAYS)}, {Channel.VOICE: channel},
        clock=clock, dispatch=DispatchSettings(lines=3, calls_per_second=100),
    )  # fmt: skip
    await runner.sync()
    stop = asyncio.Event()
    service = asyncio.create_task(runner.serve(stop, grace_seconds=grace, flush_seconds=5))
    async with asyncio.timeout(10):
        while len(channel.dialled) < 3:  # the first three calls are under way
            await asyncio.sleep(0.01)
    stop.set()
    await service
    return sink, channel


async def test_active_calls_finish_within_the_grace_period(store: Store) -> None:
    sink, channel = await serve_then_stop(store, grace=5.0)
    assert len(channel.dialled) == 3  # nothing new after the stop
    assert {record.outcome for record in sink.rows.values()} == {Outcome.CONFIRMED}
    assert len(sink.rows) == 3
    with store.unit_of_work() as uow:
        assert {r.state for r in uow.session.scalars(select(OutboxRow))} == {OutboxState.DELIVERED}


async def test_calls_past_the_grace_period_are_cut_and_still_written(store: Store) -> None:
    sink, channel = await serve_then_stop(store, grace=0.05)
    assert len(channel.dialled) == 3
    assert {record.outcome for record in sink.rows.values()} == {Outcome.NETWORK_ERROR}
    with store.unit_of_work() as uow:
        notes = [r.evidence["notes"] for r in uow.session.scalars(select(AttemptRow))]
    assert all("grace" in n["interrupted"] for n in notes)


class DownSource:
    name = "testmis"

    async def fetch(self, window: object) -> AsyncIterator[object]:
        raise MisError("connection refused (test)")
        yield  # an async generator that fails on first use


async def test_the_daemon_keeps_running_when_the_mis_cannot_be_read(store: Store) -> None:
    clock = SystemClock()
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 0.01, 0.01)), clock)
    runner = CampaignRunner(
        store, DownSource(), RecordingSink(), {"c": CampaignSpec("c", hours=ALWAYS)},  # type: ignore[arg-type]
        {Channel.VOICE: channel}, clock=clock,
    )  # fmt: skip
    stop = asyncio.Event()
    service = asyncio.create_task(runner.serve(stop, lambda: True, grace_seconds=1))
    await asyncio.sleep(1.5)  # a failed sync at start, and a scheduled one
    assert not service.done()
    stop.set()
    await service
