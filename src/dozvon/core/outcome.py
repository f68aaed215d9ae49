"""The one outcome taxonomy every channel reports in, and the evidence behind each outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    RESCHEDULE_REQUESTED = "reschedule_requested"
    WRONG_PERSON = "wrong_person"
    MESSAGE_LEFT = "message_left"
    ANSWERING_MACHINE = "answering_machine"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    INVALID_NUMBER = "invalid_number"
    REJECTED = "rejected"
    NETWORK_ERROR = "network_error"
    HUNG_UP = "hung_up"
    UNCERTAIN = "uncertain"
    OPTED_OUT = "opted_out"
    CALLBACK_REQUESTED = "callback_requested"

    @property
    def reached_person(self) -> bool:
        """A human answered: used for reach-rate reports and for the contact cap."""
        return self in _REACHED

    @property
    def is_final(self) -> bool:
        """No further attempt is useful after this outcome, whatever the retry policy says."""
        return self in _FINAL


_REACHED = frozenset(
    {
        Outcome.CONFIRMED,
        Outcome.DECLINED,
        Outcome.RESCHEDULE_REQUESTED,
        Outcome.WRONG_PERSON,
        Outcome.HUNG_UP,
        Outcome.UNCERTAIN,
        Outcome.OPTED_OUT,
        Outcome.CALLBACK_REQUESTED,
    }
)
_FINAL = frozenset(
    {
        Outcome.CONFIRMED,
        Outcome.DECLINED,
        Outcome.RESCHEDULE_REQUESTED,
        Outcome.WRONG_PERSON,
        Outcome.MESSAGE_LEFT,
        Outcome.INVALID_NUMBER,
        Outcome.OPTED_OUT,
        Outcome.CALLBACK_REQUESTED,
    }
)


class Channel(StrEnum):
    VOICE = "voice"
    SMS = "sms"
    EMAIL = "email"
    TELEGRAM = "telegram"


class HangupBy(StrEnum):
    US = "us"
    THEM = "them"


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why we believe an outcome: kept with every attempt so a clinic can audit the robot."""

    sip_status: int | None = None
    digits: str = ""
    recognised_text: str = ""
    ring_seconds: float = 0.0
    talk_seconds: float = 0.0
    hangup_by: HangupBy | None = None
    recording_offset: float | None = None
    steps: tuple[str, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)
