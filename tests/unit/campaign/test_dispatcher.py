"""Dispatcher rules on a real store with virtual time: lines, rate, order, retries, breaker."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from dozvon.campaign.breaker import BreakerSettings
from dozvon.campaign.clock import ManualClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.base import AttemptResult
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours, ContactCap
from dozvon.core.task import Task, TaskStatus
from dozvon.store import CampaignState, Store
from dozvon.store.models import AttemptRow, AuditRow, CampaignRow, TaskRow

from .conftest import ListSource, RecordingSink, tomorrow_at, until, visit

ALWAYS = CallingHours(time(0, 0), time(23, 59))


class GateChannel:
    """Holds every call open until the test releases it, to see how many run at once."""

    kind = Channel.VOICE

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.gate = asyncio.Event()
        self.active = 0
        self.peak = 0
        self.started: list[tuple[str, datetime]] = []

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        self.active += 1
        self.peak = max(self.peak, self.active)
        self.started.append((task.appointments[0].external_id, self.clock.now()))
        await self.gate.wait()
        self.active -= 1
        return AttemptResult(Outcome.CONFIRMED)


def make(
    store: Store, clock: ManualClock, channel: Any, visits: int, **dispatch: Any
) -> CampaignRunner:
    source = ListSource(
        [
            visit(f"v{i:03}", f"+7916{i:07}", tomorrow_at(clock, 8 + i % 12, i % 60))
            for i in range(visits)
        ]
    )
    return CampaignRunner(
        store,
        source,
        RecordingSink(),
        {"confirm": CampaignSpec("confirm", hours=ALWAYS)},
        {Channel.VOICE: channel},
        clock=clock,
        dispatch=DispatchSettings(**dispatch),
    )


async def test_lines_are_filled_but_never_exceeded(store: Store, clock: ManualClock) -> None:
    channel = GateChannel(clock)
    runner = make(store, clock, channel, 12, lines=5, calls_per_second=100)
    await runner.sync()
    assert await runner.dispatcher.dispatch_due() == 5
    assert await runner.dispatcher.dispatch_due() == 0
    await until(lambda: channel.active == 5)
    assert channel.peak == 5
    channel.gate.set()
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert channel.peak == 5 and len(channel.started) == 12


async def test_call_starts_are_spaced_by_the_rate_limit(store: Store, clock: ManualClock) -> None:
    channel = GateChannel(clock)
    runner = make(store, clock, channel, 4, lines=10, calls_per_second=2)
    await runner.sync()
    await runner.dispatcher.dispatch_due()
    await until(lambda: len(channel.started) == 4)
    with store.unit_of_work() as uow:
        times = list(uow.session.scalars(select(AttemptRow.started_at).order_by(AttemptRow.id)))
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert gaps == [0.5, 0.5, 0.5]
    channel.gate.set()
    await runner.dispatcher.drain()


async def test_soonest_visit_is_called_first(store: Store, clock: ManualClock) -> None:
    channel = GateChannel(clock)
    runner = make(store, clock, channel, 6, lines=1, calls_per_second=100)
    await runner.sync()
    channel.gate.set()
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    order = [visit_id for visit_id, _ in channel.started]
    assert order == ["v000", "v001", "v002", "v003", "v004", "v005"]


async def test_busy_is_retried_after_the_policy_delay(store: Store, clock: ManualClock) -> None:
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.BUSY, 1)), clock)
    runner = make(store, clock, channel, 1, lines=1)
    await runner.sync()
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert len(channel.dialled) == 1
    clock.advance(9 * 60)  # default policy: busy again after 10 minutes
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert len(channel.dialled) == 1
    clock.advance(60)
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert [n for _, _, n in channel.dialled] == [1, 2]


async def test_next_number_after_a_dead_one(store: Store, clock: ManualClock) -> None:
    channel = SimulatedChannel(
        by_phone(
            {"+79160000001": SimulatedCall(Outcome.INVALID_NUMBER)},
            SimulatedCall(Outcome.CONFIRMED, 1, 3),
        ),
        clock,
    )
    source = ListSource(
        [visit("a1", "+79160000001", tomorrow_at(clock, 12), phones=("+79160000002",))]
    )
    runner = CampaignRunner(
        store,
        source,
        RecordingSink(),
        {"confirm": CampaignSpec("confirm", hours=ALWAYS)},
        {Channel.VOICE: channel},
        clock=clock,
    )
    await runner.run_once()
    assert [p for _, p, _ in channel.dialled] == ["+79160000001", "+79160000002"]
    with store.unit_of_work() as uow:
        assert uow.session.scalars(select(TaskRow.status)).one() is TaskStatus.DONE


async def test_breaker_pauses_dialing_and_leaves_an_alert(store: Store, clock: ManualClock) -> None:
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.NETWORK_ERROR)), clock)
    runner = make(
        store, clock, channel, 40, lines=3, breaker=BreakerSettings(window=20, threshold=0.5)
    )
    await runner.sync()
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert 20 <= len(channel.dialled) <= 20 + 3  # calls on the 3 lines when it tripped still end
    with store.unit_of_work() as uow:
        assert uow.session.scalars(select(CampaignRow.state)).one() is CampaignState.PAUSED
        alert = uow.session.scalars(
            select(AuditRow).where(AuditRow.action == "campaign.paused")
        ).one()
        assert "network_error" in alert.details["why"]
    dialled = len(channel.dialled)
    runner.state.set_campaign_state("confirm", CampaignState.RUNNING, "test", "trunk fixed")
    clock.advance(1)  # the dispatcher re-reads campaign states every poll_seconds
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert len(channel.dialled) > dialled  # resumed: the breaker judges afresh


async def test_paused_campaign_is_not_dialled_until_resumed(
    store: Store, clock: ManualClock
) -> None:
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 2)), clock)
    runner = make(store, clock, channel, 3, lines=3)
    await runner.sync()
    runner.state.set_campaign_state("confirm", CampaignState.PAUSED, "test", "operator")
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert channel.dialled == []
    runner.state.set_campaign_state("confirm", CampaignState.RUNNING, "test", "operator")
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert len(channel.dialled) == 3


async def test_do_not_call_and_refused_consent_are_never_dialled(
    store: Store, clock: ManualClock
) -> None:
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 2)), clock)
    source = ListSource(
        [
            visit("a1", "+79160000001", tomorrow_at(clock, 12)),
            visit("b1", "+79160000002", tomorrow_at(clock, 12), robot_call_consent=False),
            visit("c1", "+79160000003", tomorrow_at(clock, 12)),
        ]
    )
    with store.unit_of_work() as uow:
        uow.do_not_call.add("+79160000001", "asked on the phone", clock.now())
        uow.commit()
    runner = CampaignRunner(
        store,
        source,
        RecordingSink(),
        {"confirm": CampaignSpec("confirm", hours=ALWAYS)},
        {Channel.VOICE: channel},
        clock=clock,
    )
    await runner.run_once()
    assert [p for _, p, _ in channel.dialled] == ["+79160000003"]


async def test_recovery_closes_open_attempts_and_respects_the_delay(
    store: Store, clock: ManualClock
) -> None:
    channel = GateChannel(clock)
    runner = make(store, clock, channel, 2, lines=2)
    await runner.sync()
    await runner.dispatcher.dispatch_due()
    await until(lambda: channel.active == 2)  # two attempts committed as started, then "kill -9"
    for call in list(runner.dispatcher._active.values()):
        call.cancel()
    with (
        store.unit_of_work() as uow
    ):  # undo what the cancelled calls wrote: the crash left them open
        for row in uow.session.scalars(select(AttemptRow)):
            row.outcome = None
            row.finished_at = None
        for task in uow.session.scalars(select(TaskRow)):
            task.status = TaskStatus.IN_PROGRESS
        uow.commit()
    restarted = make(
        store,
        clock,
        SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 2)), clock),
        2,
        lines=2,
    )
    assert restarted.recover() == 2
    with store.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(AttemptRow)))
        assert {r.outcome for r in rows} == {Outcome.NETWORK_ERROR}
        assert all("interrupted" in r.evidence["notes"] for r in rows)
        due = list(uow.session.scalars(select(TaskRow.next_due_at)))
    assert all(d is not None and d >= clock.now() + timedelta(minutes=5) for d in due)
    await restarted.dispatcher.run(asyncio.Event(), until_idle=True)
    assert restarted.dispatcher.lines.peak == 0  # nobody redialled before the policy allows


def test_clock_is_utc() -> None:
    assert ManualClock(datetime(2026, 1, 1, tzinfo=UTC)).now().tzinfo is UTC


class NeverEnds:
    """A call whose far end never hangs up and never answers our BYE."""

    kind = Channel.VOICE

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_call_that_never_ends_is_cut_and_frees_its_line(
    store: Store, clock: ManualClock
) -> None:
    runner = make(store, clock, NeverEnds(), 1, lines=1, max_call_seconds=0.05)
    await runner.sync()
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert runner.dispatcher.lines.busy == 0
    with store.unit_of_work() as uow:
        row = uow.session.scalars(select(AttemptRow)).one()
        assert row.outcome is Outcome.NETWORK_ERROR and "no end" in row.evidence["notes"]["error"]


async def test_contact_cap_holds_across_campaigns(store: Store, clock: ManualClock) -> None:
    """One person in two campaigns, at most one contact a day: the second campaign waits."""
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 3)), clock)
    source = ListSource([visit("a1", "+79160000001", tomorrow_at(clock, 12))])
    once_a_day = ContactCap(max_contacts=1, window=timedelta(days=1))
    specs = {
        "confirm": CampaignSpec("confirm", hours=ALWAYS, cap=once_a_day, priority=1),
        "survey": CampaignSpec("survey", hours=ALWAYS, cap=once_a_day),
    }
    runner = CampaignRunner(
        store, source, RecordingSink(), specs, {Channel.VOICE: channel}, clock=clock
    )
    await runner.run_once()
    assert len(channel.dialled) == 1
    with store.unit_of_work() as uow:
        waiting = uow.session.scalars(
            select(TaskRow).where(TaskRow.status == TaskStatus.PENDING)
        ).one()
        assert waiting.next_due_at is not None
        assert waiting.next_due_at >= clock.now() + timedelta(hours=23)


class RefusingChannel(SimulatedChannel):
    """A channel that knows up front it cannot take this task (the scenario lacks data)."""

    def refusal(self, task: Task, scenario: Any) -> str | None:
        return "branch.phone is empty"


async def test_a_task_the_channel_refuses_is_closed_without_an_attempt(
    store: Store, clock: ManualClock
) -> None:
    channel = RefusingChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 2)), clock)
    runner = make(store, clock, channel, 1, lines=1)
    await runner.sync()
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert channel.dialled == []
    with store.unit_of_work() as uow:
        assert uow.session.scalars(select(AttemptRow)).all() == []
        assert uow.session.scalars(select(TaskRow.status)).one() is TaskStatus.CANCELLED
        why = uow.session.scalars(select(AuditRow).where(AuditRow.action == "task.cancelled")).one()
        assert why.details["why"] == "branch.phone is empty"
