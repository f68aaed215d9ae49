"""Data for `dozvon simulate`: a built-in demo patient, a JSON file, and ``--var`` overrides."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from dozvon.core.appointment import Appointment, Branch, Doctor, Patient
from dozvon.dialog.context import Clinic, DialogData, OptionValue
from dozvon.dialog.errors import DataError

DEMO: dict[str, Any] = {
    "clinic": {"name": "Здоровье", "phone": "+74951234567", "website": "zdorovie.example"},
    "patient": {"name": "Иванова Мария Петровна", "phones": ["+79161234567"], "id": "P-1"},
    "branch": {"name": "на Лесной", "address": "улица Лесная, дом 5", "phone": "+74951234568"},
    "appointments": [
        {
            "id": "A-1001",
            "start": "2026-11-27T10:30:00+03:00",
            "doctor": {"name": "Сидоров Алексей Иванович", "specialty": "терапевт"},
            "services": ["Приём терапевта"],
        }
    ],
    "timezone": "Europe/Moscow",
    "options": {
        "message": "Напоминаем: тридцать первого декабря клиника работает до трёх часов дня."
    },
}
"""What `dozvon simulate confirm` talks about when no data is given."""


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Named(_In):
    name: str = ""
    phone: str = ""


class _ClinicIn(_Named):
    name: str
    website: str = ""


class _BranchIn(_Named):
    address: str = ""
    timezone: str | None = None


class _DoctorIn(_In):
    name: str = ""
    specialty: str = ""


class _PatientIn(_In):
    name: str
    phones: list[str] = Field(default_factory=list)
    id: str | None = None
    marketing_consent: bool = False
    robot_call_consent: bool = True


class _AppointmentIn(_In):
    id: str
    start: AwareDatetime
    doctor: _DoctorIn = Field(default_factory=_DoctorIn)
    services: list[str] = Field(default_factory=list)
    branch: _BranchIn | None = None
    extra: dict[str, str] = Field(default_factory=dict)


class _DataIn(_In):
    clinic: _ClinicIn
    patient: _PatientIn | None = None
    branch: _BranchIn | None = None
    appointments: list[_AppointmentIn] = Field(default_factory=list)
    timezone: str = "Europe/Moscow"
    caller: str = ""
    direction: str = "outbound"
    options: dict[str, OptionValue] = Field(default_factory=dict)


def demo_data() -> dict[str, Any]:
    return copy.deepcopy(DEMO)


def set_var(data: dict[str, Any], assignment: str) -> None:
    """Apply ``path.to.field=value``; the value is read as JSON when it parses, else as text."""
    path, sep, raw = assignment.partition("=")
    if not sep or not path:
        raise DataError(
            f"--var {assignment!r}: ожидалось ключ=значение, например patient.name=Иван"
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    target: Any = data
    parts = path.split(".")
    for part in parts[:-1]:
        if isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        elif isinstance(target, dict):
            target = target.setdefault(part, {})
        else:
            raise DataError(f"--var {path}: «{part}» — не словарь и не номер в списке")
    last = parts[-1]
    if isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value
    elif isinstance(target, dict):
        target[last] = value
    else:
        raise DataError(f"--var {path}: некуда записать «{last}»")


def dialog_data(raw: Any, source: str) -> DialogData:
    """Raises `DataError` naming the source and the field that is wrong."""
    try:
        data = _DataIn.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise DataError(f"{source}: {problems}") from None
    patient = _patient(data.patient) if data.patient else None
    branch = _branch(data.branch) if data.branch else None
    appointments = tuple(_appointment(item, patient, branch, source) for item in data.appointments)
    return DialogData(
        clinic=Clinic(data.clinic.name, data.clinic.phone, data.clinic.website),
        appointments=appointments,
        patient=patient,
        branch=branch,
        timezone=data.timezone,
        caller=data.caller,
        direction=data.direction,
        options=data.options,
    )


def _patient(item: _PatientIn) -> Patient:
    return Patient(
        name=item.name,
        phones=tuple(item.phones),
        id=item.id,
        marketing_consent=item.marketing_consent,
        robot_call_consent=item.robot_call_consent,
    )


def _branch(item: _BranchIn) -> Branch:
    return Branch(item.name, item.address, item.phone, item.timezone)


def _appointment(
    item: _AppointmentIn, patient: Patient | None, branch: Branch | None, source: str
) -> Appointment:
    if patient is None:
        raise DataError(f"{source}: у записей нет пациента (patient)")
    start: datetime = item.start
    return Appointment(
        external_id=item.id,
        source=source,
        patient=patient,
        start=start,
        doctor=Doctor(item.doctor.name, item.doctor.specialty),
        services=tuple(item.services),
        branch=_branch(item.branch) if item.branch else branch or Branch(),
        extra=item.extra,
    )
