"""Appointments as the MIS last reported them, and what changed since the previous sync."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import Row, select, update
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
from dozvon.store.repositories.bulk import chunks, insert_rows


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
        record = jsonable(dict(raw)) if raw else describe(appointment)
        print_ = fingerprint(record)
        row = self.get(appointment.source, appointment.external_id)
        if row is None:
            row = AppointmentRow(
                source=appointment.source,
                external_id=appointment.external_id,
                first_seen_at=now,
                **_columns(appointment, record, print_, now, None),
            )
            self._session.add(row)
            self._session.flush()
            return Change.NEW
        change = _classify(row.fingerprint, row.status, appointment, print_)
        if change is not Change.UNCHANGED:
            for name, value in _columns(appointment, record, print_, now, row.cancelled_at).items():
                setattr(row, name, value)
            self._session.flush()
        return change

    def upsert_many(
        self, appointments: Sequence[Appointment], task_keys: Mapping[str, str], now: datetime
    ) -> list[Upserted]:
        """`upsert` for many distinct visits at once (no raw record: the appointment is the
        record), and each booked visit tied to its task in the same write. Everything is read
        and decided first, a chunked SELECT of what is stored at a time, and only then
        written, one executemany each for new and changed rows a chunk: on SQLite the write
        lock, which the first INSERT or UPDATE takes until the commit, is held for the writes
        only. An unchanged row whose task key is already right is not written at all."""
        done: list[Upserted] = []
        writes: list[_Write] = []
        for chunk in chunks(appointments):
            stored = self._stored(chunk)
            for appointment in chunk:
                print_ = fingerprint(describe(appointment))
                key = task_keys.get(appointment.external_id)
                before = stored.get((appointment.source, appointment.external_id))
                if before is None:
                    writes.append(_Write(appointment, print_, Change.NEW, None, key))
                    done.append(Upserted(Change.NEW, None))
                    continue
                change = _classify(before.fingerprint, before.status, appointment, print_)
                if change is not Change.UNCHANGED or (key and key != before.task_key):
                    writes.append(_Write(appointment, print_, change, before, key))
                done.append(Upserted(change, before.start_at))
        for chunk_of_writes in chunks(writes):
            self._write(chunk_of_writes, now)
        return done

    def _stored(self, chunk: Sequence[Appointment]) -> dict[tuple[str, str], _Stored]:
        query = select(*_STORED).where(
            AppointmentRow.source.in_(sorted({a.source for a in chunk})),
            AppointmentRow.external_id.in_([a.external_id for a in chunk]),
        )
        return {(row.source, row.external_id): row for row in self._session.execute(query)}

    def _write(self, chunk: Sequence[_Write], now: datetime) -> None:
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for write in chunk:
            appointment, before = write.appointment, write.before
            if before is None:
                values = _columns(appointment, describe(appointment), write.print_, now, None)
                inserts.append(
                    {
                        "source": appointment.source,
                        "external_id": appointment.external_id,
                        "first_seen_at": now,
                        "task_key": write.task_key,
                        **values,
                    }
                )
                continue
            values = {}
            if write.change is not Change.UNCHANGED:
                record = describe(appointment)
                values = _columns(appointment, record, write.print_, now, before.cancelled_at)
            if write.task_key and write.task_key != before.task_key:
                values["task_key"] = write.task_key
            updates.append({"id": before.id, **values})
        if inserts:
            self._session.execute(insert_rows(AppointmentRow), inserts)
        if updates:
            self._session.execute(update(AppointmentRow), updates)

    def cancel_vanished(
        self, source: str, listed: Collection[str], start: datetime, end: datetime, now: datetime
    ) -> list[str]:
        """Cancel the booked visits of [start, end) the MIS no longer lists; their ids."""
        query = select(AppointmentRow.id, AppointmentRow.external_id).where(
            AppointmentRow.source == source,
            AppointmentRow.status == AppointmentStatus.BOOKED,
            AppointmentRow.start_at >= start,
            AppointmentRow.start_at < end,
        )
        gone = [row for row in self._session.execute(query) if row.external_id not in listed]
        cancelled = {
            "status": AppointmentStatus.CANCELLED,
            "cancelled_at": now,
            "updated_at": now,
        }
        for chunk in chunks(gone):
            self._session.execute(
                update(AppointmentRow), [{"id": row.id, **cancelled} for row in chunk]
            )
        return [row.external_id for row in gone]

    def booked_task_keys(self, task_keys: Sequence[str]) -> set[str]:
        """Which of these task keys still have a booked visit."""
        found: set[str] = set()
        for chunk in chunks(task_keys):
            query = (
                select(AppointmentRow.task_key)
                .distinct()
                .where(
                    AppointmentRow.task_key.in_(chunk),
                    AppointmentRow.status == AppointmentStatus.BOOKED,
                )
            )
            found.update(key for key in self._session.scalars(query) if key is not None)
        return found

    def set_task_key(self, source: str, external_id: str, task_key: str | None) -> None:
        row = self.get(source, external_id)
        if row is None:
            raise LookupError(f"no appointment {source}/{external_id}")
        row.task_key = task_key

    def for_task(self, task_key: str, booked_only: bool = False) -> list[Appointment]:
        """The task's visits, earliest first; `booked_only` leaves out cancelled ones (what a
        call is about), without it they are all there (what a person looking at it sees)."""
        query = (
            select(AppointmentRow)
            .where(AppointmentRow.task_key == task_key)
            .order_by(AppointmentRow.start_at, AppointmentRow.external_id)
        )
        if booked_only:
            query = query.where(AppointmentRow.status == AppointmentStatus.BOOKED)
        return [to_core(row) for row in self._session.scalars(query)]


@dataclass(frozen=True, slots=True)
class Upserted:
    change: Change
    previous_start: datetime | None
    """Where the visit was before this sync; None when first seen."""


_Stored: TypeAlias = Row[
    int, str, str, str, AppointmentStatus, datetime, datetime | None, str | None
]
"""The columns of `_STORED`."""


@dataclass(frozen=True, slots=True)
class _Write:
    """A row `upsert_many` decided to write; its columns are built only when written, so the
    decisions for a whole worklist hold no copy of its data."""

    appointment: Appointment
    print_: str
    change: Change
    before: _Stored | None
    task_key: str | None


_STORED = (
    AppointmentRow.id,
    AppointmentRow.source,
    AppointmentRow.external_id,
    AppointmentRow.fingerprint,
    AppointmentRow.status,
    AppointmentRow.start_at,
    AppointmentRow.cancelled_at,
    AppointmentRow.task_key,
)
"""What a bulk upsert needs of a stored row: plain tuples, no ORM objects to build."""


def _classify(
    stored_print: str, stored_status: AppointmentStatus, appointment: Appointment, print_: str
) -> Change:
    if stored_print == print_ and stored_status is appointment.status:
        return Change.UNCHANGED
    was_booked = stored_status is AppointmentStatus.BOOKED
    if was_booked and appointment.status is AppointmentStatus.CANCELLED:
        return Change.CANCELLED
    return Change.CHANGED


def _columns(
    appointment: Appointment,
    raw: Any,
    print_: str,
    now: datetime,
    cancelled_at: datetime | None,
) -> dict[str, Any]:
    """The columns the MIS data decides; `cancelled_at` is the stored one, kept if still so."""
    patient, doctor, branch = appointment.patient, appointment.doctor, appointment.branch
    cancelled = appointment.status is AppointmentStatus.CANCELLED
    return {
        "cancelled_at": (cancelled_at or now) if cancelled else None,
        "raw": raw if isinstance(raw, dict) else {"value": raw},
        "fingerprint": print_,
        "status": appointment.status,
        "start_at": appointment.start,
        "patient_name": patient.name,
        "patient_id": patient.id,
        "phones": list(patient.phones),
        "marketing_consent": patient.marketing_consent,
        "robot_call_consent": patient.robot_call_consent,
        "doctor_name": doctor.name,
        "specialty": doctor.specialty,
        "services": list(appointment.services),
        "branch_name": branch.name,
        "branch_address": branch.address,
        "branch_phone": branch.phone,
        "branch_timezone": branch.timezone,
        "extra": dict(appointment.extra),
        "history": _history(appointment.history) if appointment.history else None,
        "updated_at": now,
    }


def describe(appointment: Appointment) -> dict[str, Any]:
    """The appointment itself as JSON: the record when a source gives no raw row. Equal to
    `jsonable(asdict(appointment))`, so fingerprints stored before stay valid, but built field
    by field: `asdict` deep-copies every value and took half the time of a bulk sync."""
    patient, doctor, branch, history = (
        appointment.patient,
        appointment.doctor,
        appointment.branch,
        appointment.history,
    )
    return {
        "external_id": appointment.external_id,
        "source": appointment.source,
        "patient": {
            "name": patient.name,
            "phones": list(patient.phones),
            "id": patient.id,
            "marketing_consent": patient.marketing_consent,
            "robot_call_consent": patient.robot_call_consent,
        },
        "start": appointment.start.isoformat(),
        "doctor": {"name": doctor.name, "specialty": doctor.specialty},
        "services": list(appointment.services),
        "branch": {
            "name": branch.name,
            "address": branch.address,
            "phone": branch.phone,
            "timezone": branch.timezone,
        },
        "status": appointment.status,
        "history": None if history is None else _history(history),
        "extra": jsonable(dict(appointment.extra)),
    }


def _history(history: MisHistory) -> dict[str, Any]:
    last_at = history.last_attempt_at
    return {
        "last_result": history.last_result,
        "attempts": history.attempts,
        "last_attempt_at": last_at.isoformat() if last_at else None,
    }


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
