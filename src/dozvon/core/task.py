"""A task is one person to reach on one day; it may carry several appointments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from zoneinfo import ZoneInfo

from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.phone import timezone_of

DEFAULT_TIMEZONE = "Europe/Moscow"


class TaskStatus(StrEnum):
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"
    EXHAUSTED = "exhausted"


@dataclass(frozen=True, slots=True)
class Task:
    key: str
    """Stable identity: the phone and the local day, so a re-sync finds the same task."""
    phones: tuple[str, ...]
    day: date
    timezone: str
    appointments: tuple[Appointment, ...]

    @property
    def first_start(self) -> Appointment:
        return min(self.appointments, key=lambda a: a.start)


def patient_timezone(appointment: Appointment, default: str = DEFAULT_TIMEZONE) -> str:
    """The zone to respect calling hours in: the number's own zone, else the branch's."""
    for phone in appointment.patient.phones:
        zone = timezone_of(phone)
        if zone:
            return zone
    return appointment.branch.timezone or default


def task_key(phone: str, day: date) -> str:
    return f"{phone}/{day.isoformat()}"


def bundle_tasks(
    appointments: Iterable[Appointment], default_timezone: str = DEFAULT_TIMEZONE
) -> list[Task]:
    """Group booked appointments by first phone and local day: one call covers them all."""
    groups: dict[str, list[Appointment]] = {}
    zones: dict[str, str] = {}
    days: dict[str, date] = {}
    for appointment in appointments:
        if appointment.status is AppointmentStatus.CANCELLED or not appointment.patient.phones:
            continue
        zone = patient_timezone(appointment, default_timezone)
        day = appointment.start.astimezone(ZoneInfo(zone)).date()
        key = task_key(appointment.patient.phones[0], day)
        groups.setdefault(key, []).append(appointment)
        zones.setdefault(key, zone)
        days[key] = day
    tasks = []
    for key, members in groups.items():
        members.sort(key=lambda a: (a.start, a.external_id))
        phones: list[str] = []
        for member in members:
            phones.extend(p for p in member.patient.phones if p not in phones)
        tasks.append(
            Task(
                key=key,
                phones=tuple(phones),
                day=days[key],
                timezone=zones[key],
                appointments=tuple(members),
            )
        )
    tasks.sort(key=lambda t: (t.first_start.start, t.key))
    return tasks
