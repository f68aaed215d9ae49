"""A text conversation waiting for a reply does not hold the trunk's only line."""

from __future__ import annotations

import asyncio
from datetime import time
from typing import Any

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.plan import ChannelPlan, PlanStep
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.base import AttemptResult
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.core.task import Task
from dozvon.store import Store
from tests.unit.campaign.conftest import ListSource, RecordingSink, clock, tomorrow_at
from tests.unit.store.conftest import pg_store, pg_url, store

from .helpers import make_visit

# the store and clock fixtures: a real store (SQLite and PostgreSQL), virtual time
__all__ = ["clock", "pg_store", "pg_url", "store"]


class WaitingForReply:
    """An SMS conversation that gets its reply only after a call has been made."""

    kind = Channel.SMS

    def __init__(self) -> None:
        self.reply = asyncio.Event()

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        await self.reply.wait()
        return AttemptResult(Outcome.CONFIRMED)


async def test_a_call_goes_out_while_an_sms_waits(store: Store, clock: ManualClock) -> None:
    text = WaitingForReply()
    voice = SimulatedChannel(
        by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 5)),
        clock,
        on_dial=lambda *_: text.reply.set(),
    )
    always = CallingHours(time(0, 0), time(23, 59))
    specs = {
        "texts": CampaignSpec(
            "texts", hours=always, priority=10, plan=ChannelPlan((PlanStep(Channel.SMS, 1),))
        ),
        "calls": CampaignSpec("calls", hours=always),
    }
    runner = CampaignRunner(
        store,
        ListSource([make_visit(start=tomorrow_at(clock, 12), source="testmis")]),
        RecordingSink(),
        specs,
        {Channel.VOICE: voice, Channel.SMS: text},
        clock=clock,
        dispatch=DispatchSettings(lines=1, calls_per_second=10),
    )
    # Were the SMS holding the only line, the call would wait for it and it for the call.
    summary = await asyncio.wait_for(runner.run_once(), 10)
    assert summary.outcomes == {"confirmed": 2}
    assert len(voice.dialled) == 1
    assert runner.dispatcher.lines.busy == 0
