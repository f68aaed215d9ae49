"""The MIS goes away mid-campaign (a real cut TCP connection) and comes back: every outcome
arrives, once in the MIS's data, and none is lost."""

from __future__ import annotations

import asyncio
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import select

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.writeback import Backoff
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.mis.config import load, open_connector
from dozvon.store import OutboxState, Store, upgrade
from dozvon.store.models import OutboxRow

from .conftest import Clinic, worklist
from .tcpcut import CuttableProxy

OUTCOMES = [Outcome.CONFIRMED, Outcome.DECLINED, Outcome.BUSY, Outcome.NO_ANSWER, Outcome.CONFIRMED]


def behaviour(phone: str, attempt_no: int) -> SimulatedCall:
    return SimulatedCall(OUTCOMES[int(phone[-2:]) % len(OUTCOMES)], 0.05, 0.1 + int(phone[-1]) / 50)


@pytest.mark.mariadb
async def test_outage_then_every_outcome_exactly_once(clinic: Clinic, tmp_path: Path) -> None:
    clinic.fill(worklist(40))
    proxy = CuttableProxy(("127.0.0.1", 3306))
    store = Store(f"sqlite:///{tmp_path / 'dozvon.sqlite'}")
    upgrade(store.engine)
    connector = open_connector(load(clinic.mis_config(port=proxy.port)))
    clock = SystemClock()
    runner = CampaignRunner(
        store,
        connector,
        connector,
        {"confirm": CampaignSpec("confirm", hours=CallingHours(time(0, 0), time(23, 59)))},
        {Channel.VOICE: SimulatedChannel(behaviour, clock)},
        clock=clock,
        dispatch=DispatchSettings(lines=4, calls_per_second=50),
        backoff=Backoff(first=0.1, ceiling=0.5),
    )
    delivered_before_cut = asyncio.Event()

    async def outage() -> None:
        while runner.writeback.written < 5:
            await asyncio.sleep(0.02)
        proxy.cut()
        delivered_before_cut.set()
        await asyncio.sleep(1.5)
        proxy.restore()

    try:
        cutter = asyncio.create_task(outage())
        summary = await runner.run_once(flush_seconds=20)
        await cutter
    finally:
        proxy.close()
        await connector.aclose()

    with store.unit_of_work() as uow:
        outbox = {
            (r.appointment_id, r.attempt): (r.payload["outcome"], r.state)
            for r in uow.session.scalars(select(OutboxRow))
        }
        failed_tries = sum(r.tries > 1 for r in uow.session.scalars(select(OutboxRow)))
    store.dispose()
    assert delivered_before_cut.is_set() and failed_tries > 0  # the outage really hit writes
    assert summary.calls == 40 - 40 // 5  # families share a call
    assert {state for _, state in outbox.values()} == {OutboxState.DELIVERED}
    in_mis = clinic.results_rows()
    assert {key: outcome for key, (outcome, _) in in_mis.items()} == {
        key: outcome for key, (outcome, _) in outbox.items()
    }
    # One row per (visit, attempt) by the table's key. A repeat is possible only for the one
    # write in flight when the link was cut (committed, but the reply lost): the single writer
    # retries it and the sink's idempotency absorbs it.
    assert sum(writes - 1 for _, writes in in_mis.values()) <= 1
