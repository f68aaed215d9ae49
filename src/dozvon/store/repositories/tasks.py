"""Tasks: one person to reach on one day for one campaign, and when each is due."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple, TypeAlias

from sqlalchemy import ColumnElement, Row, func, select, update
from sqlalchemy.orm import Session

from dozvon.core.appointment import AppointmentStatus
from dozvon.core.task import Task, TaskStatus
from dozvon.store.models import AppointmentRow, CampaignRow, CampaignState, TaskRow
from dozvon.store.repositories.bulk import chunks, insert_rows

TaskState: TypeAlias = Row[int, str, TaskStatus, list[str], datetime | None]
"""id, key, status, phones, next_due_at."""


class DueTaskRow(NamedTuple):
    task: TaskRow
    campaign: str


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, campaign_id: int, key: str) -> TaskRow | None:
        query = select(TaskRow).where(TaskRow.campaign_id == campaign_id, TaskRow.key == key)
        return self._session.scalars(query).one_or_none()

    def by_id(self, task_id: int) -> TaskRow:
        row = self._session.get(TaskRow, task_id)
        if row is None:
            raise LookupError(f"no task {task_id}")
        return row

    def ensure(
        self,
        campaign_id: int,
        task: Task,
        now: datetime,
        next_due_at: datetime | None,
        priority: int = 0,
    ) -> TaskRow:
        """The task for this campaign and key: created once, re-syncs refresh its phones."""
        row = self.get(campaign_id, task.key)
        if row is None:
            row = TaskRow(**_new_task(campaign_id, task, now, next_due_at, priority))
            self._session.add(row)
            self._session.flush()
        elif row.status is TaskStatus.PENDING and row.phones != list(task.phones):
            row.phones = list(task.phones)
            row.updated_at = now
        return row

    def states(self, campaign_id: int, keys: Sequence[str]) -> dict[str, TaskState]:
        """What a sync decides on (id, status, phones, next_due_at) of the campaign's tasks
        among `keys`: chunked IN queries of plain rows, not one ORM object a task."""
        found: dict[str, TaskState] = {}
        columns = (TaskRow.id, TaskRow.key, TaskRow.status, TaskRow.phones, TaskRow.next_due_at)
        for chunk in chunks(keys):
            query = select(*columns).where(
                TaskRow.campaign_id == campaign_id, TaskRow.key.in_(chunk)
            )
            found.update((row.key, row) for row in self._session.execute(query))
        return found

    def update_many(self, changes: Sequence[dict[str, Any]]) -> None:
        """Changed columns by task id, an executemany a chunk."""
        for chunk in chunks(changes):
            self._session.execute(update(TaskRow), chunk)

    def pending_keys(self, campaign_id: int) -> set[str]:
        query = select(TaskRow.key).where(
            TaskRow.campaign_id == campaign_id, TaskRow.status == TaskStatus.PENDING
        )
        return set(self._session.scalars(query))

    def add_many(
        self,
        campaign_id: int,
        tasks: Collection[Task],
        now: datetime,
        next_due_at: datetime | None,
        priority: int = 0,
    ) -> None:
        """New tasks in one executemany a chunk; the caller knows none of them exists yet."""
        rows = [_new_task(campaign_id, task, now, next_due_at, priority) for task in tasks]
        for chunk in chunks(rows):
            self._session.execute(insert_rows(TaskRow), chunk)

    def due(self, now: datetime, limit: int) -> list[TaskRow]:
        """Pending tasks of running campaigns whose time has come, most urgent first."""
        query = (
            select(TaskRow)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(*_due_in_running_campaign(now))
            .order_by(TaskRow.priority.desc(), TaskRow.next_due_at, TaskRow.id)
            .limit(limit)
        )
        return list(self._session.scalars(query))

    def count_due(self, now: datetime) -> int:
        """How many tasks `due` would hand out with no limit: the queue shown to people."""
        query = (
            select(func.count())
            .select_from(TaskRow)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(*_due_in_running_campaign(now))
        )
        return int(self._session.scalar(query) or 0)

    def soonest_due(
        self, campaigns: Collection[str], now: datetime, limit: int, exclude: Collection[int]
    ) -> list[DueTaskRow]:
        """Pending, due tasks of the campaigns the caller runs that still have a booked visit,
        soonest visit first, then priority (`due` goes by priority only); tasks in `exclude`
        (already on a line) are left out."""
        first_start = func.min(AppointmentRow.start_at)
        query = (
            select(TaskRow, CampaignRow.name)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .join(AppointmentRow, AppointmentRow.task_key == TaskRow.key)
            .where(
                CampaignRow.name.in_(list(campaigns)),
                TaskRow.status == TaskStatus.PENDING,
                TaskRow.next_due_at <= now,
                TaskRow.id.not_in(list(exclude)),
                AppointmentRow.status == AppointmentStatus.BOOKED,
            )
            .group_by(TaskRow.id, CampaignRow.name)
            .order_by(first_start, TaskRow.priority.desc(), TaskRow.id)
            .limit(limit)
        )
        return [DueTaskRow(task, name) for task, name in self._session.execute(query)]

    def next_due_at(self, campaigns: Collection[str]) -> datetime | None:
        """When the earliest pending task of these campaigns comes due; None when none is
        pending."""
        query = (
            select(func.min(TaskRow.next_due_at))
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(CampaignRow.name.in_(list(campaigns)), TaskRow.status == TaskStatus.PENDING)
        )
        return self._session.scalar(query)

    def status_counts(
        self, campaign: str | None = None, from_day: date | None = None
    ) -> dict[str, dict[TaskStatus, int]]:
        """Tasks by campaign name and status, of one campaign or all; `from_day` keeps tasks
        whose day (their visits' day) is that day or later."""
        query = (
            select(CampaignRow.name, TaskRow.status, func.count())
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .group_by(CampaignRow.name, TaskRow.status)
        )
        if campaign is not None:
            query = query.where(CampaignRow.name == campaign)
        if from_day is not None:
            query = query.where(TaskRow.day >= from_day)
        counts: dict[str, dict[TaskStatus, int]] = {}
        for name, status, count in self._session.execute(query):
            counts.setdefault(name, {})[status] = count
        return counts

    def release_in_progress(self) -> None:
        """Every task left in progress goes back to pending: after a crash nothing is on a
        line."""
        self._session.execute(
            update(TaskRow)
            .where(TaskRow.status == TaskStatus.IN_PROGRESS)
            .values(status=TaskStatus.PENDING)
        )

    def set_status(
        self, task_id: int, status: TaskStatus, now: datetime, next_due_at: datetime | None = None
    ) -> None:
        row = self.by_id(task_id)
        row.status = status
        row.next_due_at = next_due_at
        row.updated_at = now


def _due_in_running_campaign(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Pending, due, and its campaign running: a query must join `CampaignRow`."""
    return (
        CampaignRow.state == CampaignState.RUNNING,
        TaskRow.status == TaskStatus.PENDING,
        TaskRow.next_due_at <= now,
    )


def _new_task(
    campaign_id: int, task: Task, now: datetime, next_due_at: datetime | None, priority: int
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "key": task.key,
        "status": TaskStatus.PENDING,
        "timezone": task.timezone,
        "day": task.day,
        "phones": list(task.phones),
        "next_due_at": next_due_at,
        "attempts_count": 0,
        "priority": priority,
        "created_at": now,
        "updated_at": now,
    }
