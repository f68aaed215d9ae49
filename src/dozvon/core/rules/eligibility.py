"""One verdict for "may we contact this person now, on this channel", from every rule."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from dozvon.core.appointment import Patient
from dozvon.core.outcome import Channel
from dozvon.core.rules.caps import ContactCap
from dozvon.core.rules.consent import Purpose, may_use_channel
from dozvon.core.rules.hours import CallingHours


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: str
    reason: str


def check_contact(
    *,
    patient: Patient,
    phone: str,
    channel: Channel,
    purpose: Purpose,
    zone: str,
    now: datetime,
    hours: CallingHours,
    do_not_call: Collection[str],
    cap: ContactCap,
    previous_contacts: Iterable[datetime],
) -> Refusal | None:
    """None when every rule allows the contact; else the first rule that refuses it."""
    if phone in do_not_call:
        return Refusal("do_not_call", "number is on the do-not-call list")
    consent = may_use_channel(purpose, channel, patient)
    if consent is not None:
        return Refusal("consent", consent)
    if not hours.allows(now, zone):
        return Refusal("hours", f"outside calling hours in {zone}")
    if not cap.allows(previous_contacts, now):
        return Refusal("cap", f"contacted {cap.max_contacts} times within {cap.window}")
    return None
