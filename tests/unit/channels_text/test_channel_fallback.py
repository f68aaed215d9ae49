"""A campaign configured with `channels: [voice, sms]` moves to SMS once the retry rules give
up on voice (each channel of the plan has its own retries)."""

from __future__ import annotations

from sqlalchemy import select

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner, spec_from_settings
from dozvon.channels.base import ContactChannel
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.config.campaign import CampaignSettings
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store import Store
from dozvon.store.models import AttemptRow, TaskRow
from tests.unit.campaign.conftest import ListSource, RecordingSink, clock, tomorrow_at
from tests.unit.store.conftest import pg_store, pg_url, store

from .helpers import PHONE, make_visit

# the store and clock fixtures: a real store (SQLite and PostgreSQL), virtual time
__all__ = ["clock", "pg_store", "pg_url", "store"]

OTHER = "+79160000002"
BUSY = SimulatedCall(Outcome.BUSY, 1)


def text_channel(clock: ManualClock, outcome: Outcome) -> SimulatedChannel:
    channel = SimulatedChannel(by_phone({}, SimulatedCall(outcome)), clock)
    channel.kind = Channel.SMS
    return channel


async def run_day(
    store: Store,
    clock: ManualClock,
    channels: dict[Channel, ContactChannel],
    plan: list[str],
    phones: tuple[str, ...] = (PHONE,),
) -> tuple[list[tuple[str, str, str]], TaskStatus]:
    settings = CampaignSettings.model_validate(
        {
            "name": "c",
            "scenario": "confirm",
            "channels": plan,
            "hours": {"start": "00:00", "end": "23:59"},
            "retry": {"max_per_day": 10},
        }
    )
    visit = make_visit(
        start=tomorrow_at(clock, 18), source="testmis", phone=phones[0], more_phones=phones[1:]
    )
    runner = CampaignRunner(
        store,
        ListSource([visit]),
        RecordingSink(),
        {"c": spec_from_settings(settings)},
        channels,
        clock=clock,
        dispatch=DispatchSettings(lines=1, calls_per_second=10),
    )
    for _ in range(30):  # hourly runs: the contact cap moves the 4th call to the next day
        await runner.run_once()
        clock.advance(3600)
    with store.unit_of_work() as uow:
        rows = uow.session.scalars(select(AttemptRow).order_by(AttemptRow.number))
        attempts = [(r.channel.value, r.phone, r.outcome.value if r.outcome else "") for r in rows]
        status = uow.session.scalars(select(TaskRow.status)).one()
    return attempts, status


async def test_voice_busy_until_its_retries_are_spent_then_sms(
    store: Store, clock: ManualClock
) -> None:
    voice = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.BUSY, 1)), clock)
    sms = text_channel(clock, Outcome.CONFIRMED)
    attempts, status = await run_day(
        store, clock, {Channel.VOICE: voice, Channel.SMS: sms}, ["voice", "sms"]
    )
    assert [a[0] for a in attempts] == ["voice"] * 4 + ["sms"]  # busy: 4 tries by default
    assert attempts[-1][2] == "confirmed"
    assert status is TaskStatus.DONE


async def test_the_plan_stops_at_a_channel_that_is_not_set_up(
    store: Store, clock: ManualClock
) -> None:
    voice = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.BUSY, 1)), clock)
    attempts, status = await run_day(store, clock, {Channel.VOICE: voice}, ["voice", "sms"])
    assert [a[0] for a in attempts] == ["voice"] * 4
    assert status is TaskStatus.EXHAUSTED


async def test_a_dead_number_does_not_end_the_retries_on_the_next_one(
    store: Store, clock: ManualClock
) -> None:
    voice = SimulatedChannel(
        by_phone(
            {
                PHONE: SimulatedCall(Outcome.INVALID_NUMBER),
                OTHER: [BUSY, BUSY, SimulatedCall(Outcome.CONFIRMED, 1, 5)],  # by attempt number,
            },
            SimulatedCall(Outcome.BUSY, 1),
        ),
        clock,
    )
    attempts, status = await run_day(
        store, clock, {Channel.VOICE: voice}, ["voice"], phones=(PHONE, OTHER)
    )
    assert attempts == [
        ("voice", PHONE, "invalid_number"),
        ("voice", OTHER, "busy"),
        ("voice", OTHER, "confirmed"),
    ]
    assert status is TaskStatus.DONE
