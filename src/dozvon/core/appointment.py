"""What the clinic's MIS tells us about one visit, normalised into our own shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from dozvon.core.readonly import readonly


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"


@readonly
class Patient:
    name: str
    phones: tuple[str, ...]
    """E.164 numbers in the order they should be tried."""
    id: str | None = None
    marketing_consent: bool = False
    robot_call_consent: bool = True


@dataclass(frozen=True, slots=True)
class Doctor:
    name: str = ""
    specialty: str = ""


@dataclass(frozen=True, slots=True)
class Branch:
    name: str = ""
    address: str = ""
    phone: str = ""
    timezone: str | None = None
    """IANA zone of the branch; the fallback when a number's zone is ambiguous."""


@readonly
class MisHistory:
    """Earlier call results as an unfiltered MIS reports them (the seed's second selection mode)."""

    last_result: str | None = None
    attempts: int = 0
    last_attempt_at: datetime | None = None


@readonly
class Appointment:
    external_id: str
    source: str
    patient: Patient
    start: datetime
    """Timezone-aware start of the visit."""
    doctor: Doctor = Doctor()
    services: tuple[str, ...] = ()
    branch: Branch = Branch()
    status: AppointmentStatus = AppointmentStatus.BOOKED
    history: MisHistory | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError(f"appointment {self.external_id}: start time has no time zone")
        if not self.external_id:
            raise ValueError("appointment has an empty id")
