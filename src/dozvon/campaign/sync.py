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
from typing import Any
from zoneinfo import ZoneInfo

from dozvon.campaign.offload import StoreThread
from dozvon.campaign.worklist import SyncProgress, collect
from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.task import DEFAULT_TIMEZONE, Task, TaskStatus, bundle_tasks
from dozvon.mis.base import RowError, Source, Window
from dozvon.store import Change, Store, UnitOfWork
from dozvon.store.models import CampaignRow
from dozvon.store.repositories.tasks import TaskState

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
    progress: SyncProgress | None = None,
) -> SyncReport:
    appointments, errors = await collect(source, window, progress)
    report = SyncReport(read=len(appointments) + len(errors), errors=errors)
    for error in errors:
        log.warning("MIS row skipped: %s", error)
    if progress is not None:
        progress.storing(len(appointments))
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
        window = worklist.window
        listed = _distinct(worklist.source, worklist.appointments, report)
        booked = [
            a
            for a in listed
            if a.status is AppointmentStatus.BOOKED and window.start <= a.start < window.end
        ]
        tasks = bundle_tasks(booked, worklist.default_timezone)
        task_of = {a.external_id: task.key for task in tasks for a in task.appointments}
        changed_ids = _upsert(uow, worklist.source, listed, task_of, window, now, report)
        _apply_tasks(uow, campaign_row, tasks, changed_ids, now, worklist.priority, report)
        for error in report.errors:
            where = f"{error.source}:{error.row}"
            uow.audit.record(now, "sync", "sync.row_error", where, {"error": str(error)})
        uow.commit()
    report.tasks = len(tasks)


def _distinct(
    source: str, appointments: Iterable[Appointment], report: SyncReport
) -> list[Appointment]:
    """The first of each visit id; a repeat is a row error, as the MIS contradicts itself."""
    seen: set[str] = set()
    listed = []
    for appointment in appointments:
        if appointment.external_id in seen:
            report.errors.append(
                RowError(source, appointment.external_id, "id", "the same visit id appears twice")
            )
            continue
        seen.add(appointment.external_id)
        listed.append(appointment)
    return listed


def _upsert(
    uow: UnitOfWork,
    source: str,
    listed: list[Appointment],
    task_of: dict[str, str],
    window: Window,
    now: datetime,
    report: SyncReport,
) -> set[str]:
    """Store every visit, each booked one tied to its task; returns the ids that moved or were
    cancelled. Tasks are bundled from what the MIS sent, so the stored rows need no re-reading:
    after this sync the window's booked visits are exactly the booked ones listed."""
    changed: set[str] = set()
    upserted = uow.appointments.upsert_many(listed, task_of, now)
    for appointment, done in zip(listed, upserted, strict=True):
        report.changes[done.change.value] += 1
        moved = done.change is Change.CHANGED and done.previous_start != appointment.start
        if moved or done.change is Change.CANCELLED:
            changed.add(appointment.external_id)
    cut = next((error for error in report.errors if error.cut_short), None)
    if cut is not None:
        # The MIS was not read to the end (a truncated file): what it did not list may still be
        # booked, so nothing is cancelled as vanished this time; the next whole read decides.
        log.warning("MIS read cut short, no visit cancelled as vanished: %s", cut)
        uow.audit.record(now, "sync", "sync.vanished_kept", f"{cut.source}:{cut.row}")
        return changed
    listed_ids = {a.external_id for a in listed}
    vanished = uow.appointments.cancel_vanished(source, listed_ids, window.start, window.end, now)
    for external_id in vanished:
        # A visit the MIS stopped listing no longer needs a call (it was cancelled, or the
        # clinic reached the patient another way): cancelled, and the audit log says so.
        report.changes[Change.CANCELLED.value] += 1
        uow.audit.record(now, "sync", "sync.vanished", f"{source}:{external_id}")
    return changed | set(vanished)


def _apply_tasks(
    uow: UnitOfWork,
    campaign: CampaignRow,
    tasks: list[Task],
    changed_ids: set[str],
    now: datetime,
    priority: int,
    report: SyncReport,
) -> None:
    existing = uow.tasks.states(campaign.id, [task.key for task in tasks])
    new = [task for task in tasks if task.key not in existing]
    uow.tasks.add_many(campaign.id, new, now, next_due_at=now, priority=priority)
    report.tasks_new += len(new)
    changes = []
    for task in tasks:
        row = existing.get(task.key)
        if row is None:
            continue  # added above
        values = _refresh(row, task, changed_ids, now, report)
        if values:
            changes.append({"id": row.id, **values})
    uow.tasks.update_many(changes)
    _cancel_emptied(uow, campaign.id, {task.key for task in tasks}, now, report)


def _refresh(
    row: TaskState, task: Task, changed_ids: set[str], now: datetime, report: SyncReport
) -> dict[str, Any]:
    """Follow the MIS: new numbers, and a new call when a visit of a finished task moved.
    Returns the columns to change; nothing for a task the MIS did not change."""
    values: dict[str, Any] = {}
    if row.phones != list(task.phones):
        values.update(phones=list(task.phones), updated_at=now)
    moved = any(a.external_id in changed_ids for a in task.appointments)
    if moved and row.status in _REOPENABLE:
        values.update(status=TaskStatus.PENDING, next_due_at=now, updated_at=now)
        report.tasks_reopened += 1
    elif moved and row.status is TaskStatus.PENDING:
        values.update(next_due_at=min(row.next_due_at or now, now), updated_at=now)
    return values


def _cancel_emptied(
    uow: UnitOfWork, campaign_id: int, live_keys: set[str], now: datetime, report: SyncReport
) -> None:
    """A pending task none of whose visits is still booked (cancelled, or moved to another
    day and so to another task) must not call. Tasks of other days keep their visits."""
    candidates = sorted(uow.tasks.pending_keys(campaign_id) - live_keys)
    still_booked = uow.appointments.booked_task_keys(candidates)
    emptied = [key for key in candidates if key not in still_booked]
    rows = uow.tasks.states(campaign_id, emptied)
    cancelled = {"status": TaskStatus.CANCELLED, "next_due_at": None, "updated_at": now}
    uow.tasks.update_many([{"id": rows[key].id, **cancelled} for key in emptied])
    for key in emptied:
        report.tasks_cancelled += 1
        uow.audit.record(now, "sync", "task.cancelled", key, {"why": "no booked visit left"})
