"""Write-back: order per visit, backoff while the MIS is down, one bad row holds back one visit."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.writeback import Backoff
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.mis.base import MisError
from dozvon.store import OutboxState, Store
from dozvon.store.models import OutboxRow

from .conftest import ListSource, RecordingSink, tomorrow_at, visit

ALWAYS = CallingHours(time(0, 0), time(23, 59))


def make(store: Store, clock: ManualClock, sink: RecordingSink) -> CampaignRunner:
    calls = by_phone(
        {
            "+79160000001": [
                SimulatedCall(Outcome.BUSY, 1),
                SimulatedCall(Outcome.BUSY, 1),
                SimulatedCall(Outcome.CONFIRMED, 1, 3),
            ]
        },
        SimulatedCall(Outcome.DECLINED, 1, 3),
    )
    return CampaignRunner(
        store,
        ListSource(
            [
                visit("a", "+79160000001", tomorrow_at(clock, 18)),
                visit("b", "+79160000002", tomorrow_at(clock, 18)),
            ]
        ),
        sink,
        {"c": CampaignSpec("c", hours=ALWAYS)},
        {Channel.VOICE: SimulatedChannel(calls, clock)},
        clock=clock,
        backoff=Backoff(first=10, factor=2, ceiling=60, jitter=0),
    )


async def three_attempts(runner: CampaignRunner, clock: ManualClock) -> None:
    await runner.sync()
    for _ in range(3):
        await runner.dispatcher.run(asyncio.Event(), until_idle=True)
        clock.advance(11 * 60)  # busy is retried after 10 minutes


async def test_outcomes_reach_the_mis_in_order_after_an_outage(
    store: Store, clock: ManualClock
) -> None:
    sink = RecordingSink(down=True)
    runner = make(store, clock, sink)
    await three_attempts(runner, clock)

    first = await runner.writeback.flush_once()
    assert first.mis_down and sink.calls == []
    assert (await runner.writeback.flush_once()).mis_down  # backing off: not even tried
    clock.advance(5)
    assert (await runner.writeback.flush_once()).written == 0
    clock.advance(10)
    assert (await runner.writeback.flush_once()).mis_down  # tried again after 10 s, still down
    sink.down = False
    clock.advance(25)  # second back-off step: 20 s
    result = await runner.writeback.flush_once()
    assert result.written == 4 and not result.mis_down
    visit_a = [attempt for visit_id, attempt in sink.calls if visit_id == "a"]
    assert visit_a == [1, 2, 3]
    assert sink.rows[("a", 3)].outcome is Outcome.CONFIRMED
    assert await runner.writeback.flush_once() == type(result)(0, 0, False)


@pytest.mark.parametrize(
    "refusal",
    [
        lambda visit_id: MisError(f"constraint failed for {visit_id}", record_only=True),
        lambda visit_id: ValueError(f"constraint failed for {visit_id}"),
    ],
    ids=["the MIS refuses the record", "the sink cannot map it"],
)
async def test_a_rejected_row_holds_back_only_its_own_visit(
    store: Store, clock: ManualClock, refusal: Callable[[str], Exception]
) -> None:
    sink = RecordingSink(refuse={"a"}, refusal=refusal)
    runner = make(store, clock, sink)
    await three_attempts(runner, clock)
    result = await runner.writeback.flush_once()
    assert not result.mis_down and result.failed == 1
    assert sink.calls == [("b", 1)]
    with store.unit_of_work() as uow:
        rows = {
            (r.appointment_id, r.attempt): (r.state, r.last_error)
            for r in uow.session.scalars(select(OutboxRow))
        }
    assert rows[("a", 1)][0] is OutboxState.PENDING and "constraint" in (rows[("a", 1)][1] or "")
    sink.refuse = set()
    clock.set(clock.now() + timedelta(minutes=10))
    await runner.writeback.flush_once()
    assert [c for c in sink.calls if c[0] == "a"] == [("a", 1), ("a", 2), ("a", 3)]


def test_backoff_grows_to_its_ceiling() -> None:
    backoff = Backoff(first=1, factor=2, ceiling=30, jitter=0)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    jittered = Backoff(first=10, jitter=0.2).delay(1)
    assert 8 <= jittered <= 12
