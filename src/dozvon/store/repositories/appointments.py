"""Appointments as the MIS last reported them, and what changed since the previous sync."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.core.appointment import (
    Appointment,
    AppointmentStatus,
    Branch,
    Doctor,
    MisHistory,
    Patient,
)
from dozvon.store.codec import fingerprint
from dozvon.store.columns import jsonable
from dozvon.store.models import AppointmentRow


class Change(StrEnum):
    NEW = "new"
    """First seen, whatever its status (a visit first seen cancelled is NEW, status cancelled)."""
    CHANGED = "changed"
    CANCELLED = "cancelled"
    """Was booked, now cancelled in the MIS: its task must not call about it."""
    UNCHANGED = "unchanged"


class AppointmentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, source: str, external_id: str) -> AppointmentRow | None:
        query = select(AppointmentRow).where(
            AppointmentRow.source == source, AppointmentRow.external_id == external_id
        )
        return self._session.scalars(query).one_or_none()

    def upsert(
        self, appointment: Appointment, raw: Mapping[str, Any] | None, now: datetime
    ) -> Change:
        """Store what the MIS sent; the fingerprint of `raw` (else of the appointment) says
        whether anything changed."""
        record = jsonable(dict(raw)) if raw else _describe(appointment)
        print_ = fingerprint(record)
        row = self.get(appointment.source, appointment.external_id)
        if row is None:
            row = AppointmentRow(
                source=appointment.source, external_id=appointment.external_id, first_seen_at=now
            )
            _apply(row, appointment, record, print_, now)
            self._session.add(row)
            self._session.flush()
            return Change.NEW
        if row.fingerprint == print_ and row.status is appointment.status:
            return Change.UNCHANGED
        was_booked = row.status is AppointmentStatus.BOOKED
        _apply(row, appointment, record, print_, now)
        self._session.flush()
        if was_booked and appointment.status is AppointmentStatus.CANCELLED:
            return Change.CANCELLED
        return Change.CHANGED

    def set_task_key(self, source: str, external_id: str, task_key: str | None) -> None:
        row = self.get(source, external_id)
        if row is None:
            raise LookupError(f"no appointment {source}/{external_id}")
        row.task_key = task_key

    def for_task(self, task_key: str) -> list[AppointmentRow]:
        query = (
            select(AppointmentRow)
            .where(AppointmentRow.task_key == task_key)
            .order_by(AppointmentRow.start_at, AppointmentRow.external_id)
        )
        return list(self._session.scalars(query))


def _apply(
    row: AppointmentRow, appointment: Appointment, raw: Any, print_: str, now: datetime
) -> None:
    patient, doctor, branch = appointment.patient, appointment.doctor, appointment.branch
    if appointment.status is AppointmentStatus.CANCELLED:
        row.cancelled_at = row.cancelled_at or now
    else:
        row.cancelled_at = None
    row.raw = raw if isinstance(raw, dict) else {"value": raw}
    row.fingerprint = print_
    row.status = appointment.status
    row.start_at = appointment.start
    row.patient_name = patient.name
    row.patient_id = patient.id
    row.phones = list(patient.phones)
    row.marketing_consent = patient.marketing_consent
    row.robot_call_consent = patient.robot_call_consent
    row.doctor_name = doctor.name
    row.specialty = doctor.specialty
    row.services = list(appointment.services)
    row.branch_name = branch.name
    row.branch_address = branch.address
    row.branch_phone = branch.phone
    row.branch_timezone = branch.timezone
    row.extra = dict(appointment.extra)
    row.history = jsonable(asdict(appointment.history)) if appointment.history else None
    row.updated_at = now


def _describe(appointment: Appointment) -> dict[str, Any]:
    """The appointment itself as JSON: the record when a source gives no raw row."""
    described: dict[str, Any] = jsonable(asdict(appointment))
    return described


def to_core(row: AppointmentRow) -> Appointment:
    """The domain value back from its row, for scenarios and re-bundling."""
    history = None
    if row.history is not None:
        last_at = row.history.get("last_attempt_at")
        history = MisHistory(
            last_result=row.history.get("last_result"),
            attempts=int(row.history.get("attempts", 0)),
            last_attempt_at=datetime.fromisoformat(last_at) if last_at else None,
        )
    return Appointment(
        external_id=row.external_id,
        source=row.source,
        patient=Patient(
            name=row.patient_name,
            phones=tuple(row.phones),
            id=row.patient_id,
            marketing_consent=row.marketing_consent,
            robot_call_consent=row.robot_call_consent,
        ),
        start=row.start_at,
        doctor=Doctor(row.doctor_name, row.specialty),
        services=tuple(row.services),
        branch=Branch(row.branch_name, row.branch_address, row.branch_phone, row.branch_timezone),
        status=row.status,
        history=history,
        extra=dict(row.extra),
    )
