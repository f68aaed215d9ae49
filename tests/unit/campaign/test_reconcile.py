"""Reconciliation: what never reached the MIS, and what the MIS changed after we wrote."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.reconcile import reconcile
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.sync import day_window
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.appointment import MisHistory
from dozvon.core.outcome import Channel, Outcome
from dozvon.store import Store

from .conftest import ListSource, RecordingSink, tomorrow_at, visit
from .test_run_once import ALWAYS


async def test_reports_undelivered_and_drifted_rows(store: Store, clock: ManualClock) -> None:
    visits = [visit(f"v{i}", f"+7916000000{i}", tomorrow_at(clock, 10 + i)) for i in range(6)]
    source = ListSource(list(visits))
    sink = RecordingSink()
    busy = {"+79160000003": SimulatedCall(Outcome.BUSY, 1)}
    channel = SimulatedChannel(by_phone(busy, SimulatedCall(Outcome.CONFIRMED, 1, 4)), clock)
    runner = CampaignRunner(
        store,
        source,
        sink,
        {"c": CampaignSpec("c", hours=ALWAYS)},
        {Channel.VOICE: channel},
        clock=clock,
    )
    await runner.sync()
    sink.refuse = {"v4"}
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    await runner.writeback.flush_once()

    source.items = [
        visits[0],  # unchanged
        dataclasses.replace(visits[1], history=MisHistory(last_result="declined", attempts=1)),
        dataclasses.replace(visits[2], start=visits[2].start + timedelta(hours=2)),
        # v3 (busy, still to be called) vanished from the worklist
        visits[4],
        # v5 (confirmed) left the worklist too: a worklist of who still needs a call drops it
    ]
    window = day_window((clock.now() + timedelta(days=1)).date(), 1, "Europe/Moscow")
    result = await reconcile(store, source, window)

    assert [(u.appointment_id, u.outcome) for u in result.not_in_mis] == [("v4", "confirmed")]
    drifts = {d.appointment_id: d.what for d in result.changed_after_write}
    assert set(drifts) == {"v1", "v2", "v3"}
    assert "confirmed → declined" in drifts["v1"]
    assert "moved" in drifts["v2"] and "no longer" in drifts["v3"]
    assert not result.clean
