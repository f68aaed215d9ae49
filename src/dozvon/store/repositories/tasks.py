"""Tasks: one person to reach on one day for one campaign, and when each is due."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from dozvon.core.task import Task, TaskStatus
from dozvon.store.models import CampaignRow, CampaignState, TaskRow
from dozvon.store.repositories.bulk import chunks

TaskState: TypeAlias = Row[int, str, TaskStatus, list[str], datetime | None]
"""id, key, status, phones, next_due_at."""


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
            self._session.execute(insert(TaskRow), chunk)

    def due(self, now: datetime, limit: int) -> list[TaskRow]:
        """Pending tasks of running campaigns whose time has come, most urgent first."""
        query = (
            select(TaskRow)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(
                CampaignRow.state == CampaignState.RUNNING,
                TaskRow.status == TaskStatus.PENDING,
                TaskRow.next_due_at <= now,
            )
            .order_by(TaskRow.priority.desc(), TaskRow.next_due_at, TaskRow.id)
            .limit(limit)
        )
        return list(self._session.scalars(query))

    def set_status(
        self, task_id: int, status: TaskStatus, now: datetime, next_due_at: datetime | None = None
    ) -> None:
        row = self.by_id(task_id)
        row.status = status
        row.next_due_at = next_due_at
        row.updated_at = now


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
