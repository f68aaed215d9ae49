"""MIS → store: an idempotent upsert of the worklist, and the tasks it implies.

A second run over the same MIS data changes nothing. What the MIS changed since the last run is
seen through each record's fingerprint: a moved visit reopens its task (the next call states the
new time), a cancelled one drops out of its task (a task left empty is cancelled), a new one
gets a task.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from dozvon.campaign.offload import StoreThread
from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.task import DEFAULT_TIMEZONE, Task, TaskStatus, bundle_tasks
from dozvon.mis.base import RowError, Source, Window
from dozvon.store import Change, Store, UnitOfWork
from dozvon.store.models import AppointmentRow, CampaignRow, TaskRow
from dozvon.store.repositories import to_core

log = logging.getLogger(__name__)

_OPEN = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)
_REOPENABLE = (TaskStatus.DONE, TaskStatus.EXHAUSTED, TaskStatus.CANCELLED)


@dataclass(slots=True)
class SyncReport:
    read: int = 0
    changes: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in Change})
    tasks_new: int = 0
    tasks_reopened: int = 0
    tasks_cancelled: int = 0
    tasks: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def appointments(self) -> int:
        return self.read - len(self.errors)


def day_window(first_day: date, days: int, zone: str) -> Window:
    """Visits starting on `days` local days from `first_day`, in the clinic's zone."""
    tz = ZoneInfo(zone)
    start = datetime.combine(first_day, datetime.min.time(), tz)
    return Window(
        start, datetime.combine(first_day + timedelta(days=days), datetime.min.time(), tz)
    )


async def collect(source: Source, window: Window) -> tuple[list[Appointment], list[RowError]]:
    """Read the whole worklist first: the store is touched only once the MIS answered in full,
    so a connection lost mid-read can never cancel the visits it did not get to."""
    appointments: list[Appointment] = []
    errors: list[RowError] = []
    async for item in source.fetch(window):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            appointments.append(item)
    return appointments, errors


async def sync_campaign(
    store: Store,
    source: Source,
    campaign: str,
    window: Window,
    now: datetime,
    *,
    priority: int = 0,
    default_timezone: str = DEFAULT_TIMEZONE,
    store_thread: StoreThread | None = None,
) -> SyncReport:
    appointments, errors = await collect(source, window)
    report = SyncReport(read=len(appointments) + len(errors), errors=errors)
    for error in errors:
        log.warning("MIS row skipped: %s", error)
    worklist = Worklist(source.name, campaign, appointments, window, priority, default_timezone)
    await (store_thread or StoreThread()).run(store_worklist, store, worklist, now, report)
    return report


@dataclass(frozen=True, slots=True)
class Worklist:
    source: str
    campaign: str
    appointments: list[Appointment]
    window: Window
    priority: int
    default_timezone: str


def store_worklist(store: Store, worklist: Worklist, now: datetime, report: SyncReport) -> None:
    """The store's half of a sync, in one transaction (blocking: run off the event loop)."""
    with store.unit_of_work() as uow:
        campaign_row = uow.campaigns.ensure(worklist.campaign, now)
        changed_ids = _upsert(
            uow, worklist.source, worklist.appointments, worklist.window, now, report
        )
        booked = _booked_in_window(uow.session, worklist.source, worklist.window)
        tasks = bundle_tasks((to_core(row) for row in booked), worklist.default_timezone)
        _apply_tasks(uow, campaign_row, booked, tasks, changed_ids, now, worklist.priority, report)
        for error in report.errors:
            where = f"{error.source}:{error.row}"
            uow.audit.record(now, "sync", "sync.row_error", where, {"error": str(error)})
        uow.commit()
    report.tasks = len(tasks)


def _upsert(
    uow: UnitOfWork,
    source: str,
    appointments: Iterable[Appointment],
    window: Window,
    now: datetime,
    report: SyncReport,
) -> set[str]:
    """Store every visit; returns the ids that moved or were cancelled."""
    repo = uow.appointments
    seen: set[str] = set()
    changed: set[str] = set()
    for appointment in appointments:
        if appointment.external_id in seen:
            report.errors.append(
                RowError(source, appointment.external_id, "id", "the same visit id appears twice")
            )
            continue
        seen.add(appointment.external_id)
        before = repo.get(source, appointment.external_id)
        previous_start = before.start_at if before is not None else None
        change = repo.upsert(appointment, None, now)
        report.changes[change.value] += 1
        moved = change is Change.CHANGED and previous_start != appointment.start
        if moved or change is Change.CANCELLED:
            changed.add(appointment.external_id)
    changed |= _cancel_vanished(uow, source, seen, window, now, report)
    return changed


def _cancel_vanished(
    uow: UnitOfWork, source: str, seen: set[str], window: Window, now: datetime, report: SyncReport
) -> set[str]:
    """A visit the MIS stopped listing no longer needs a call (it was cancelled, or the clinic
    reached the patient another way): treat it as cancelled, and say so in the audit log."""
    query = select(AppointmentRow).where(
        AppointmentRow.source == source,
        AppointmentRow.status == AppointmentStatus.BOOKED,
        AppointmentRow.start_at >= window.start,
        AppointmentRow.start_at < window.end,
    )
    vanished = set()
    for row in uow.session.scalars(query):
        if row.external_id in seen:
            continue
        row.status = AppointmentStatus.CANCELLED
        row.cancelled_at = now
        row.updated_at = now
        vanished.add(row.external_id)
        report.changes[Change.CANCELLED.value] += 1
        uow.audit.record(now, "sync", "sync.vanished", f"{source}:{row.external_id}")
    return vanished


def _booked_in_window(session: Session, source: str, window: Window) -> list[AppointmentRow]:
    query = select(AppointmentRow).where(
        AppointmentRow.source == source,
        AppointmentRow.status == AppointmentStatus.BOOKED,
        AppointmentRow.start_at >= window.start,
        AppointmentRow.start_at < window.end,
    )
    return list(session.scalars(query))


def _apply_tasks(
    uow: UnitOfWork,
    campaign: CampaignRow,
    booked: list[AppointmentRow],
    tasks: list[Task],
    changed_ids: set[str],
    now: datetime,
    priority: int,
    report: SyncReport,
) -> None:
    existing = {
        row.key: row
        for row in uow.session.scalars(select(TaskRow).where(TaskRow.campaign_id == campaign.id))
    }
    rows_by_id = {row.external_id: row for row in booked}
    for task in tasks:
        row = existing.get(task.key)
        if row is None:
            uow.tasks.ensure(campaign.id, task, now, next_due_at=now, priority=priority)
            report.tasks_new += 1
        else:
            _refresh(row, task, changed_ids, now, report)
        for appointment in task.appointments:
            member = rows_by_id[appointment.external_id]
            if member.task_key != task.key:
                member.task_key = task.key
    _cancel_emptied(uow, existing, {t.key for t in tasks}, now, report)


def _refresh(
    row: TaskRow, task: Task, changed_ids: set[str], now: datetime, report: SyncReport
) -> None:
    """Follow the MIS: new numbers, and a new call when a visit of a finished task moved."""
    if row.phones != list(task.phones):
        row.phones = list(task.phones)
        row.updated_at = now
    moved = any(a.external_id in changed_ids for a in task.appointments)
    if moved and row.status in _REOPENABLE:
        row.status = TaskStatus.PENDING
        row.next_due_at = now
        row.updated_at = now
        report.tasks_reopened += 1
    elif moved and row.status is TaskStatus.PENDING:
        row.next_due_at = min(row.next_due_at or now, now)
        row.updated_at = now


def _cancel_emptied(
    uow: UnitOfWork,
    existing: dict[str, TaskRow],
    live_keys: set[str],
    now: datetime,
    report: SyncReport,
) -> None:
    """A pending task none of whose visits is still booked (cancelled, or moved to another
    day and so to another task) must not call. Tasks of other days keep their visits."""
    for key, row in existing.items():
        if key in live_keys or row.status is not TaskStatus.PENDING:
            continue
        still_booked = uow.session.scalars(
            select(AppointmentRow.id)
            .where(
                AppointmentRow.task_key == key,
                AppointmentRow.status == AppointmentStatus.BOOKED,
            )
            .limit(1)
        ).first()
        if still_booked is not None:
            continue
        row.status = TaskStatus.CANCELLED
        row.next_due_at = None
        row.updated_at = now
        report.tasks_cancelled += 1
        uow.audit.record(now, "sync", "task.cancelled", key, {"why": "no booked visit left"})
