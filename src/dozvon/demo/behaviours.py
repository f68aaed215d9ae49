"""What each virtual patient does when called, and the outcome the robot should reach for it."""

from __future__ import annotations

from enum import StrEnum

from dozvon.core.outcome import Outcome


class Behaviour(StrEnum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    RESCHEDULE = "reschedule"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    WRONG_PERSON = "wrong_person"
    SILENT = "silent"
    NOT_IN_SERVICE = "not_in_service"


EXPECTED_OUTCOME: dict[Behaviour, Outcome] = {
    Behaviour.CONFIRM: Outcome.CONFIRMED,
    Behaviour.DECLINE: Outcome.DECLINED,
    Behaviour.RESCHEDULE: Outcome.RESCHEDULE_REQUESTED,
    Behaviour.BUSY: Outcome.BUSY,
    Behaviour.NO_ANSWER: Outcome.NO_ANSWER,
    Behaviour.VOICEMAIL: Outcome.MESSAGE_LEFT,
    Behaviour.WRONG_PERSON: Outcome.WRONG_PERSON,
    Behaviour.SILENT: Outcome.UNCERTAIN,
    Behaviour.NOT_IN_SERVICE: Outcome.INVALID_NUMBER,
}

# How often each behaviour appears among demo patients; the rest confirm, as most patients do.
MIX: tuple[tuple[Behaviour, int], ...] = (
    (Behaviour.CONFIRM, 16),
    (Behaviour.DECLINE, 4),
    (Behaviour.RESCHEDULE, 4),
    (Behaviour.BUSY, 3),
    (Behaviour.NO_ANSWER, 3),
    (Behaviour.VOICEMAIL, 3),
    (Behaviour.WRONG_PERSON, 2),
    (Behaviour.SILENT, 2),
)
