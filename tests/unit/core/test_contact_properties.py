"""Who may be contacted: do-not-call, consent and purpose, calling hours, the contact cap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from dozvon.core.appointment import Patient
from dozvon.core.outcome import Channel
from dozvon.core.rules import CallingHours, ContactCap, Purpose, check_contact, may_use_channel
from tests.unit.core.strategies import calling_hours, moments, zones

PHONE = "+79161234567"
patients = st.builds(
    Patient,
    name=st.just("Иванова А. П."),
    phones=st.just((PHONE,)),
    marketing_consent=st.booleans(),
    robot_call_consent=st.booleans(),
)
channels = st.sampled_from(list(Channel))
purposes = st.sampled_from(list(Purpose))
caps = st.builds(
    ContactCap,
    max_contacts=st.integers(1, 5),
    window=st.timedeltas(timedelta(hours=1), timedelta(days=7)),
)


contacts = st.fixed_dictionaries(
    {
        "patient": patients,
        "phone": st.just(PHONE),
        "channel": channels,
        "purpose": purposes,
        "zone": zones,
        "now": moments,
        "hours": calling_hours(),
        "cap": caps,
        "previous_contacts": st.lists(moments, max_size=8),
    }
)
"""Every input of check_contact except the do-not-call list."""


@given(contact=contacts)
def test_a_do_not_call_number_is_never_contacted(contact: dict[str, Any]) -> None:
    refusal = check_contact(do_not_call={PHONE}, **contact)
    assert refusal is not None and refusal.rule == "do_not_call"


@given(patient=patients)
def test_marketing_never_goes_out_by_voice(patient: Patient) -> None:
    assert may_use_channel(Purpose.MARKETING, Channel.VOICE, patient) is not None


@given(patient=patients, channel=channels)
def test_marketing_needs_consent_on_every_channel(patient: Patient, channel: Channel) -> None:
    allowed = may_use_channel(Purpose.MARKETING, channel, patient) is None
    assert allowed == (patient.marketing_consent and channel is not Channel.VOICE)


@given(patient=patients, channel=channels)
def test_a_robot_call_refusal_stops_voice_only(patient: Patient, channel: Channel) -> None:
    allowed = may_use_channel(Purpose.SERVICE, channel, patient) is None
    assert allowed == (patient.robot_call_consent or channel is not Channel.VOICE)


@given(contact=contacts)
def test_an_allowed_contact_satisfies_every_rule(contact: dict[str, Any]) -> None:
    if check_contact(do_not_call=set(), **contact) is None:
        now, cap, zone = contact["now"], contact["cap"], contact["zone"]
        assert not (contact["purpose"] is Purpose.MARKETING and contact["channel"] is Channel.VOICE)
        assert contact["hours"].allows(now, zone)
        recent = [p for p in contact["previous_contacts"] if now - cap.window < p <= now]
        assert len(recent) < cap.max_contacts


def test_the_cap_counts_only_its_window() -> None:
    cap = ContactCap(max_contacts=2, window=timedelta(days=1))
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert cap.allows([now - timedelta(days=2), now - timedelta(hours=1)], now)
    assert not cap.allows([now - timedelta(hours=5), now - timedelta(hours=1)], now)


def test_refusals_name_their_rule() -> None:
    patient = Patient("Иванова А. П.", (PHONE,), robot_call_consent=False)
    common = {
        "patient": patient,
        "phone": PHONE,
        "purpose": Purpose.SERVICE,
        "zone": "Europe/Moscow",
        "now": datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        "hours": CallingHours(time(9), time(20)),
        "do_not_call": set(),
        "cap": ContactCap(),
        "previous_contacts": [],
    }
    voice = check_contact(channel=Channel.VOICE, **common)
    assert voice is not None and voice.rule == "consent"
    assert check_contact(channel=Channel.SMS, **common) is None
