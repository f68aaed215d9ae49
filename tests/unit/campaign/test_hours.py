"""Calling hours in each patient's own time: Kaliningrad, Moscow and Vladivostok in one campaign."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.store import Store

from .conftest import ListSource, RecordingSink, visit

KALININGRAD = "+74012555001"  # UTC+2
MOSCOW = "+74955550001"  # UTC+3
VLADIVOSTOK = "+74232555001"  # UTC+10
VISIT = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
THREE_ZONES = [
    visit("k", KALININGRAD, VISIT),
    visit("m", MOSCOW, VISIT),
    visit("v", VLADIVOSTOK, VISIT),
]


def nine_to_eight(
    store: Store, clock: ManualClock, visits: list[Appointment]
) -> tuple[CampaignRunner, SimulatedChannel]:
    """A confirm campaign calling 09:00–20:00 local time, where everyone confirms."""
    channel = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.CONFIRMED, 1, 5)), clock)
    runner = CampaignRunner(
        store,
        ListSource(visits),
        RecordingSink(),
        {"confirm": CampaignSpec("confirm", hours=CallingHours(time(9), time(20)))},
        {Channel.VOICE: channel},
        clock=clock,
    )
    return runner, channel


async def test_each_patient_is_called_only_inside_their_local_hours(store: Store) -> None:
    clock = ManualClock(datetime(2026, 11, 26, 5, 30, tzinfo=UTC))  # 08:30 in Moscow
    runner, channel = nine_to_eight(store, clock, THREE_ZONES)
    await runner.sync()

    async def called_at(hour: int, minute: int = 0) -> list[str]:
        clock.set(datetime(2026, 11, 26, hour, minute, tzinfo=UTC))
        await runner.dispatcher.run(asyncio.Event(), until_idle=True)
        return [phone for _, phone, _ in channel.dialled]

    assert await called_at(5, 59) == [VLADIVOSTOK]  # 15:59 there, 08:59 Moscow, 07:59 Kaliningrad
    assert await called_at(6, 0) == [VLADIVOSTOK, MOSCOW]  # 09:00 in Moscow
    assert await called_at(6, 59) == [VLADIVOSTOK, MOSCOW]  # 08:59 in Kaliningrad
    assert await called_at(7, 0) == [VLADIVOSTOK, MOSCOW, KALININGRAD]


async def test_kaliningrad_keeps_its_own_time_in_summer(store: Store) -> None:
    """phonenumbers files +7 4012 under Europe/Bucharest, which moves its clocks in summer;
    Kaliningrad does not (UTC+2 all year)."""
    summer_visit = datetime(2026, 7, 16, 12, 0, tzinfo=UTC)
    clock = ManualClock(
        datetime(2026, 7, 15, 6, 30, tzinfo=UTC)
    )  # 08:30 Kaliningrad, 09:30 Bucharest
    runner, channel = nine_to_eight(store, clock, [visit("k", KALININGRAD, summer_visit)])
    await runner.run_once()
    assert channel.dialled == []
    clock.set(datetime(2026, 7, 15, 7, 0, tzinfo=UTC))
    await runner.dispatcher.run(asyncio.Event(), until_idle=True)
    assert [phone for _, phone, _ in channel.dialled] == [KALININGRAD]


async def test_nobody_is_called_at_night_anywhere(store: Store) -> None:
    clock = ManualClock(
        datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
    )  # 21:00 Moscow, 04:00 Vladivostok
    runner, channel = nine_to_eight(store, clock, THREE_ZONES)
    await runner.run_once()
    assert channel.dialled == []
