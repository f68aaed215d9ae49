"""The whole campaign loop on a real SQLite store with the simulated channel."""

from __future__ import annotations

from datetime import time

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.store import Store

from .conftest import ListSource, RecordingSink, tomorrow_at, visit

ALWAYS = CallingHours(time(0, 0), time(23, 59))


def runner(
    store: Store,
    clock: ManualClock,
    source: ListSource,
    sink: RecordingSink,
    behaviour: dict[str, SimulatedCall | list[SimulatedCall]],
    lines: int = 2,
) -> CampaignRunner:
    channel = SimulatedChannel(by_phone(behaviour, SimulatedCall(Outcome.CONFIRMED, 1, 5)), clock)
    return CampaignRunner(
        store,
        source,
        sink,
        {"confirm": CampaignSpec("confirm", hours=ALWAYS)},
        {Channel.VOICE: channel},
        clock=clock,
        dispatch=DispatchSettings(lines=lines, calls_per_second=10),
    )


async def test_every_visit_gets_one_outcome_written_once(store: Store, clock: ManualClock) -> None:
    source = ListSource(
        [
            visit("a1", "+79160000001", tomorrow_at(clock, 9)),
            visit("a2", "+79160000001", tomorrow_at(clock, 11), name="Пётр Иванов"),
            visit("b1", "+79160000002", tomorrow_at(clock, 10)),
            visit("c1", "+79160000003", tomorrow_at(clock, 12)),
        ]
    )
    sink = RecordingSink()
    behaviour: dict[str, SimulatedCall | list[SimulatedCall]] = {
        "+79160000002": SimulatedCall(Outcome.DECLINED, 2, 3),
        "+79160000003": SimulatedCall(Outcome.INVALID_NUMBER),
    }
    summary = await runner(store, clock, source, sink, behaviour).run_once()

    assert summary.syncs["confirm"].tasks == 3  # a1 and a2 share a phone and a day
    assert summary.calls == 3
    assert {k: r.outcome for k, r in sink.rows.items()} == {
        ("a1", 1): Outcome.CONFIRMED,
        ("a2", 1): Outcome.CONFIRMED,
        ("b1", 1): Outcome.DECLINED,
        ("c1", 1): Outcome.INVALID_NUMBER,
    }
    assert sorted(sink.calls) == sorted(sink.rows)
    assert summary.not_written == 0
