"""Small builders for store tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dozvon.core.appointment import Appointment, AppointmentStatus, Branch, Doctor, Patient
from dozvon.core.task import Task
from dozvon.store import UnitOfWork

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def appointment(
    external_id: str = "A1",
    phone: str = "+79161234567",
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    start: datetime = datetime(2026, 3, 3, 7, 30, tzinfo=UTC),
) -> Appointment:
    return Appointment(
        external_id=external_id,
        source="demo",
        patient=Patient(name="Иванова Анна Петровна", phones=(phone,), id="P7"),
        start=start,
        doctor=Doctor("Петров П. П.", "терапевт"),
        services=("Приём терапевта",),
        branch=Branch("Центр", "ул. Ленина, 1", "+74951234567", "Europe/Moscow"),
        status=status,
        extra={"cabinet": "12"},
    )


def task(key: str = "+79161234567/2026-03-03") -> Task:
    return Task(
        key=key,
        phones=("+79161234567",),
        day=date(2026, 3, 3),
        timezone="Europe/Moscow",
        appointments=(appointment(),),
    )


def new_task(
    uow: UnitOfWork, key: str = "+79161234567/2026-03-03", campaign: str = "confirm"
) -> int:
    campaign_row = uow.campaigns.ensure(campaign, NOW)
    return uow.tasks.ensure(campaign_row.id, task(key), NOW, next_due_at=NOW).id
