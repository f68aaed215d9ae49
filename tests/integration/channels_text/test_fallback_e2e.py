"""The campaign's channel plan end to end: the voice call finds the line busy, the next
attempt goes by SMS (SMS.ru fake), the patient's reply digits confirm, and the outcome lands in
the store and the MIS."""

from __future__ import annotations

import asyncio
from datetime import time

from sqlalchemy import select

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.plan import ChannelPlan, PlanStep
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.channels.sms import PhoneAddressing, SmsOutbound, SmsRuGateway
from dozvon.channels.text import ReplyInbox, TextChannel
from dozvon.config.channels import SmsRuSettings
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.dialog.library import builtin
from dozvon.store import Store
from dozvon.store.models import AttemptRow
from tests.fakes.smsru import FakeSmsRu
from tests.unit.campaign.conftest import ListSource, RecordingSink, clock, tomorrow_at
from tests.unit.channels_text.helpers import CLINIC, PHONE, make_visit
from tests.unit.store.conftest import pg_store, pg_url, store

from .test_sms import patient_replies

# the store and clock fixtures: a real store (SQLite and PostgreSQL), virtual time
__all__ = ["clock", "pg_store", "pg_url", "store"]


async def test_busy_voice_falls_back_to_sms_and_the_reply_is_the_outcome(
    store: Store, clock: ManualClock, smsru: tuple[FakeSmsRu, str]
) -> None:
    fake, url = smsru
    inbox = ReplyInbox()
    gateway = SmsRuGateway(
        SmsRuSettings(kind="smsru", api_key="FAKE-API-ID-0000", url=f"{url}/sms/send")  # type: ignore[arg-type]
    )
    voice = SimulatedChannel(by_phone({}, SimulatedCall(Outcome.BUSY, ring_seconds=2)), clock)
    sms = TextChannel(
        Channel.SMS, SmsOutbound(gateway), PhoneAddressing(), CLINIC, inbox=inbox, reply_timeout=5
    )
    spec = CampaignSpec(
        "confirm",
        scenario=builtin("confirm"),
        hours=CallingHours(time(0, 0), time(23, 59)),
        plan=ChannelPlan((PlanStep(Channel.VOICE, 1), PlanStep(Channel.SMS, 1))),
    )
    sink = RecordingSink()
    runner = CampaignRunner(
        store,
        ListSource([make_visit(start=tomorrow_at(clock, 10), source="testmis")]),
        sink,
        {"confirm": spec},
        {Channel.VOICE: voice, Channel.SMS: sms},
        clock=clock,
        dispatch=DispatchSettings(lines=1, calls_per_second=10),
    )
    patient = asyncio.create_task(patient_replies(fake, inbox, ["1", "1"]))
    try:
        await runner.run_once()
        assert fake.sent == []  # the busy line is retried later, not texted at once
        clock.advance(11 * 60)  # past the busy retry delay
        await runner.run_once()
    finally:
        await gateway.aclose()
    await asyncio.wait_for(patient, 5)

    with store.unit_of_work() as uow:
        rows = uow.session.scalars(select(AttemptRow).order_by(AttemptRow.number)).all()
        attempts = [(row.number, row.channel, row.outcome) for row in rows]
        sms_notes = rows[-1].evidence["notes"]
    assert attempts == [(1, Channel.VOICE, Outcome.BUSY), (2, Channel.SMS, Outcome.CONFIRMED)]
    assert sms_notes["channel"] == "sms" and sms_notes["replies"] == "2"
    assert sink.rows[("V-1", 2)].outcome is Outcome.CONFIRMED
    assert len(fake.texts_to(PHONE.removeprefix("+"))) == 3
