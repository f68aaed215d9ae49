"""Fixtures for campaign logic tests: the real store, an in-test MIS seam, virtual time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from dozvon.campaign.clock import ManualClock
from dozvon.core.appointment import Appointment, AppointmentStatus, Patient
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from tests.sqlite_mis import sqlite_mis, tomorrows_visits

# The store area's fixtures: every campaign logic test runs on SQLite (the default) and on the
# local PostgreSQL (larger sites), each in a throwaway database.
from tests.unit.store.conftest import pg_store, pg_url, store  # noqa: F401


@pytest.fixture
def clock() -> ManualClock:
    # Wednesday 26 Nov 2026, 10:00 Moscow.
    return ManualClock(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))


def visit(
    visit_id: str,
    phone: str,
    start: datetime,
    name: str = "Мария Петровна Иванова",
    *,
    phones: Sequence[str] = (),
    status: AppointmentStatus = AppointmentStatus.BOOKED,
    robot_call_consent: bool = True,
) -> Appointment:
    return Appointment(
        external_id=visit_id,
        source="testmis",
        patient=Patient(name=name, phones=(phone, *phones), robot_call_consent=robot_call_consent),
        start=start,
        status=status,
    )


@dataclass
class ListSource:
    """The MIS seam over a list the test edits between syncs (a stand-in for our own protocol,
    not for a remote system: the real connectors are tested against real databases)."""

    items: list[Appointment | RowError] = field(default_factory=list)
    name: str = "testmis"

    async def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]:
        for item in self.items:
            if isinstance(item, RowError) or window.start <= item.start < window.end:
                yield item


@dataclass
class RecordingSink:
    """Keeps what it was given by (appointment, attempt), as the MIS sinks' idempotency does,
    and counts every call so a test can see a duplicate write."""

    name: str = "testmis"
    rows: dict[tuple[str, int], OutcomeRecord] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)
    down: bool = False
    refuse: set[str] = field(default_factory=set)
    """Visits whose rows the MIS rejects (a constraint, say) while the rest go through."""
    refusal: Callable[[str], Exception] = lambda visit_id: MisError(
        f"constraint failed for {visit_id} (test)", record_only=True
    )
    """How the refusal arrives: as connectors report it, or as a bug in a sink would."""

    async def write(self, record: OutcomeRecord) -> None:
        if self.down:
            raise MisError("connection refused (test)")
        if record.appointment_id in self.refuse:
            raise self.refusal(record.appointment_id)
        self.calls.append((record.appointment_id, record.attempt))
        self.rows[(record.appointment_id, record.attempt)] = record


def tomorrow_at(clock: ManualClock, hour: int, minute: int = 0) -> datetime:
    """A visit time tomorrow, Moscow time."""
    moscow = clock.now() + timedelta(hours=3)
    day = moscow.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour - 3, minute, tzinfo=UTC)


async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Let the event loop run until `condition` holds (calls run in their own tasks)."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.005)


MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A config with an SQLite store and an SQLite MIS holding three visits tomorrow."""
    visits = [(i, f"Пациент {i}", phone, at) for i, _, phone, at in tomorrows_visits(3)]
    config = {
        "database": {"url": f"sqlite:///{tmp_path / 'dozvon.sqlite'}"},
        "campaigns": [
            {"name": "confirm", "scenario": "confirm", "hours": {"start": "00:00", "end": "23:59"}}
        ],
        "mis": sqlite_mis(tmp_path / "mis.sqlite", visits),
    }
    path = tmp_path / "dozvon.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path
