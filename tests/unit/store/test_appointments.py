"""Upserting what the MIS sends, and telling what changed."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from dozvon.core.appointment import AppointmentStatus, Branch, Doctor, MisHistory, Patient
from dozvon.store import Change, Store
from dozvon.store.codec import fingerprint
from dozvon.store.columns import jsonable
from dozvon.store.repositories import to_core
from dozvon.store.repositories.appointments import describe
from tests.unit.store.factories import NOW, appointment

RAW = {
    "ID": 1,
    "FIO": "Иванова Анна Петровна",
    "PHONE": "8 916 123-45-67",
    "PRICE": Decimal("1200.50"),
}


def test_first_sync_is_new_and_same_record_is_unchanged(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.appointments.upsert(appointment(), RAW, NOW) is Change.NEW
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.appointments.upsert(appointment(), dict(RAW), NOW) is Change.UNCHANGED


def test_changed_raw_record_is_changed_and_stored(store: Store) -> None:
    later = NOW + timedelta(hours=1)
    with store.unit_of_work() as uow:
        uow.appointments.upsert(appointment(), RAW, NOW)
        moved = appointment(start=datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
        assert uow.appointments.upsert(moved, {**RAW, "TIME": "11:00"}, later) is Change.CHANGED
        uow.commit()
    with store.unit_of_work() as uow:
        row = uow.appointments.get("demo", "A1")
        assert row is not None
        assert row.raw["TIME"] == "11:00"
        assert row.raw["PRICE"] == "1200.50"
        assert row.start_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
        assert row.first_seen_at == NOW
        assert row.updated_at == later


def test_cancellation_in_the_mis_is_reported_once(store: Store) -> None:
    cancelled = appointment(status=AppointmentStatus.CANCELLED)
    with store.unit_of_work() as uow:
        uow.appointments.upsert(appointment(), RAW, NOW)
        assert uow.appointments.upsert(cancelled, {**RAW, "STATE": "X"}, NOW) is Change.CANCELLED
        assert uow.appointments.upsert(cancelled, {**RAW, "STATE": "X"}, NOW) is Change.UNCHANGED
        row = uow.appointments.get("demo", "A1")
        assert row is not None and row.cancelled_at == NOW
        assert uow.appointments.upsert(appointment(), RAW, NOW) is Change.CHANGED
        assert row.cancelled_at is None


def test_without_raw_record_the_appointment_itself_is_fingerprinted(store: Store) -> None:
    with store.unit_of_work() as uow:
        assert uow.appointments.upsert(appointment(), None, NOW) is Change.NEW
        assert uow.appointments.upsert(appointment(), None, NOW) is Change.UNCHANGED
        other_phone = appointment(phone="+79169998877")
        assert uow.appointments.upsert(other_phone, None, NOW) is Change.CHANGED


def test_same_id_from_two_sources_are_two_appointments(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.appointments.upsert(appointment(), RAW, NOW)
        assert (
            uow.appointments.upsert(replace(appointment(), source="other"), RAW, NOW) is Change.NEW
        )


def test_row_gives_back_the_same_domain_appointment(store: Store) -> None:
    original = replace(
        appointment(),
        history=MisHistory("no_answer", 2, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
    )
    with store.unit_of_work() as uow:
        uow.appointments.upsert(original, RAW, NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        row = uow.appointments.get("demo", "A1")
        assert row is not None
        assert to_core(row) == original


def test_task_key_links_appointments(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.appointments.upsert(appointment("A1"), None, NOW)
        uow.appointments.upsert(appointment("A2"), None, NOW)
        uow.appointments.set_task_key("demo", "A2", "k")
        uow.appointments.set_task_key("demo", "A1", "k")
        assert [row.external_id for row in uow.appointments.for_task("k")] == ["A1", "A2"]
        with pytest.raises(LookupError):
            uow.appointments.set_task_key("demo", "missing", "k")


def test_naive_times_are_refused(store: Store) -> None:
    with store.unit_of_work() as uow, pytest.raises(Exception, match="naive"):
        uow.appointments.upsert(appointment(), None, datetime(2026, 3, 2, 9, 0))


def test_description_is_the_dataclass_as_json_so_old_fingerprints_hold() -> None:
    full = replace(
        appointment(),
        patient=Patient("Иванова Анна", ("+79161234567", "+74951234567"), "P-1", True, False),
        doctor=Doctor("Петров", "терапевт"),
        services=("ЭКГ", "УЗИ"),
        branch=Branch("Центр", "ул. Ленина, 1", "+74950000000", "Europe/Samara"),
        status=AppointmentStatus.CANCELLED,
        history=MisHistory("busy", 1, datetime(2026, 3, 1, 10, 0, tzinfo=UTC)),
        extra={"room": "12", "floor": "2"},
    )
    no_time = replace(full, history=MisHistory("no_answer", 2, None))
    for item in (full, no_time, replace(full, history=None, extra={})):
        assert describe(item) == jsonable(asdict(item))
        assert fingerprint(describe(item)) == fingerprint(jsonable(asdict(item)))
