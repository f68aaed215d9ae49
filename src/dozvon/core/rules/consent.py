"""Which channel a campaign may use for a person, by purpose and consent.

Russian advertising law (38-FZ, art. 18) forbids advertising by automatic dialling, and any
advertising without prior consent: so marketing never goes out by robot voice, and on other
channels only with the person's marketing consent.
"""

from __future__ import annotations

from enum import StrEnum

from dozvon.core.appointment import Patient
from dozvon.core.outcome import Channel


class Purpose(StrEnum):
    SERVICE = "service"
    MARKETING = "marketing"


def may_use_channel(purpose: Purpose, channel: Channel, patient: Patient) -> str | None:
    """None when allowed, else the reason it is not."""
    if purpose is Purpose.MARKETING:
        if channel is Channel.VOICE:
            return "marketing by robot voice is forbidden (38-FZ art. 18)"
        if not patient.marketing_consent:
            return "no marketing consent"
        return None
    if channel is Channel.VOICE and not patient.robot_call_consent:
        return "patient refused robot calls"
    return None
