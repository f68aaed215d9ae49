"""What a scenario may know about a call, as plain values so templates reach nothing else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dozvon.core.appointment import Appointment, Branch, Patient
from dozvon.core.task import DEFAULT_TIMEZONE, Task
from dozvon.dialog.errors import DataError

OptionValue = str | int | float | bool


@dataclass(frozen=True, slots=True)
class Clinic:
    name: str
    phone: str = ""
    website: str = ""


@dataclass(frozen=True, slots=True)
class DialogData:
    """Everything one run of a scenario is about."""

    clinic: Clinic
    appointments: tuple[Appointment, ...] = ()
    patient: Patient | None = None
    """Defaults to the first appointment's patient; inbound calls may not know one."""
    branch: Branch | None = None
    """Defaults to the first appointment's branch."""
    timezone: str = DEFAULT_TIMEZONE
    """The zone times are spoken in: the task's zone, the patient's local time."""
    caller: str = ""
    """The caller's number, on inbound calls."""
    direction: str = "outbound"
    options: Mapping[str, OptionValue] = field(default_factory=dict)

    @classmethod
    def for_task(
        cls, task: Task, clinic: Clinic, options: Mapping[str, OptionValue] | None = None
    ) -> DialogData:
        return cls(
            clinic=clinic,
            appointments=task.appointments,
            timezone=task.timezone,
            options=dict(options or {}),
        )

    @property
    def the_patient(self) -> Patient | None:
        if self.patient is not None:
            return self.patient
        return self.appointments[0].patient if self.appointments else None

    @property
    def the_branch(self) -> Branch | None:
        if self.branch is not None:
            return self.branch
        return self.appointments[0].branch if self.appointments else None


def template_context(
    data: DialogData, channel: str, defaults: Mapping[str, OptionValue]
) -> dict[str, Any]:
    """Plain dicts, lists, strings and datetimes: nothing with a method worth calling."""
    zone = ZoneInfo(data.timezone)
    appointments = [_appointment(item, zone) for item in data.appointments]
    patient = data.the_patient
    branch = data.the_branch
    return {
        "clinic": {
            "name": data.clinic.name,
            "phone": data.clinic.phone,
            "website": data.clinic.website,
        },
        "patient": _patient(patient) if patient else {},
        "branch": _branch(branch) if branch else {},
        "appointments": appointments,
        "appointment": appointments[0] if appointments else {},
        "call": {"direction": data.direction, "caller": data.caller, "channel": channel},
        "options": {**defaults, **data.options},
    }


def require(context: Mapping[str, Any], paths: list[str]) -> None:
    """Refuse to start a dialog that would stumble over missing data halfway through."""
    missing = [path for path in paths if _empty(_lookup(context, path))]
    if missing:
        raise DataError(f"нет данных, нужных сценарию: {', '.join(missing)}")


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _patient(patient: Patient) -> dict[str, Any]:
    return {"name": patient.name, "id": patient.id or ""}


def _branch(branch: Branch) -> dict[str, Any]:
    return {"name": branch.name, "address": branch.address, "phone": branch.phone}


def _appointment(appointment: Appointment, zone: ZoneInfo) -> dict[str, Any]:
    start: datetime = appointment.start.astimezone(zone)
    return {
        "id": appointment.external_id,
        "start": start,
        "doctor": {"name": appointment.doctor.name, "specialty": appointment.doctor.specialty},
        "services": list(appointment.services),
        "branch": _branch(appointment.branch),
        "extra": dict(appointment.extra),
    }
