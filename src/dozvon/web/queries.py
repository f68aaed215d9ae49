"""Read-only questions the pages ask of the store, one short unit of work each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from dozvon.store import CampaignState, Store
from dozvon.store.models import (
    AppointmentRow,
    AttemptRow,
    AuditRow,
    CampaignRow,
    DoNotCallRow,
    TaskRow,
)

PAGE_SIZE = 50


@dataclass(slots=True)
class CampaignDay:
    name: str
    state: CampaignState | None
    """None: configured, but `dozvon run` has not started it yet."""
    tasks: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def queued(self) -> int:
        return self.tasks.get("pending", 0)

    @property
    def active(self) -> int:
        return self.tasks.get("in_progress", 0)

    def as_dict(self) -> dict[str, object]:
        return {
            "campaign": self.name,
            "state": self.state.value if self.state else None,
            "queued": self.queued,
            "active": self.active,
            "tasks": self.tasks,
            "outcomes": self.outcomes,
        }


@dataclass(frozen=True, slots=True)
class AttemptLine:
    task_id: int
    campaign: str
    number: int
    channel: str
    phone: str
    started_at: datetime
    outcome: str | None


@dataclass(frozen=True, slots=True)
class TaskDetail:
    task: TaskRow
    campaign: str
    visits: list[AppointmentRow]
    attempts: list[AttemptRow]


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(zone))
    return start, start + timedelta(days=1)


def campaign_days(store: Store, names: list[str], day: date, zone: str) -> list[CampaignDay]:
    """Each campaign's state, its tasks by status for visits from `day` on (a task's day is its
    visit's, usually ahead of the call), and the outcomes of the attempts started on `day`."""
    start, end = day_bounds(day, zone)
    with store.unit_of_work() as uow:
        by_id = {
            row.id: CampaignDay(row.name, row.state)
            for row in uow.session.scalars(select(CampaignRow))
        }
        tasks = uow.session.execute(
            select(TaskRow.campaign_id, TaskRow.status, func.count())
            .where(TaskRow.day >= day)
            .group_by(TaskRow.campaign_id, TaskRow.status)
        ).all()
        outcomes = uow.session.execute(
            select(TaskRow.campaign_id, AttemptRow.outcome, func.count())
            .join(TaskRow, TaskRow.id == AttemptRow.task_id)
            .where(AttemptRow.started_at >= start, AttemptRow.started_at < end)
            .group_by(TaskRow.campaign_id, AttemptRow.outcome)
        ).all()
    for campaign_id, status, count in tasks:
        by_id[campaign_id].tasks[status.value] = count
    for campaign_id, outcome, count in outcomes:
        by_id[campaign_id].outcomes[outcome.value if outcome else "in_progress"] = count
    by_name = {day_.name: day_ for day_ in by_id.values()}
    return [by_name.get(name, CampaignDay(name, None)) for name in names]


def attempts_of_day(
    store: Store, day: date, zone: str, page: int, size: int = PAGE_SIZE
) -> tuple[list[AttemptLine], int]:
    """One page of the day's attempts, newest first, and how many there are in all."""
    start, end = day_bounds(day, zone)
    in_day = (AttemptRow.started_at >= start, AttemptRow.started_at < end)
    query = (
        select(AttemptRow, TaskRow.id, CampaignRow.name)
        .join(TaskRow, TaskRow.id == AttemptRow.task_id)
        .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
        .where(*in_day)
        .order_by(AttemptRow.started_at.desc(), AttemptRow.id.desc())
        .offset(max(page - 1, 0) * size)
        .limit(size)
    )
    with store.unit_of_work() as uow:
        total = uow.session.scalar(select(func.count()).select_from(AttemptRow).where(*in_day))
        lines = [
            AttemptLine(
                task_id,
                campaign,
                row.number,
                row.channel.value,
                row.phone,
                row.started_at,
                row.outcome.value if row.outcome else None,
            )
            for row, task_id, campaign in uow.session.execute(query)
        ]
    return lines, total or 0


def task_detail(store: Store, task_id: int) -> TaskDetail | None:
    with store.unit_of_work() as uow:
        task = uow.session.get(TaskRow, task_id)
        if task is None:
            return None
        campaign = uow.session.get_one(CampaignRow, task.campaign_id).name
        visits = list(
            uow.session.scalars(
                select(AppointmentRow)
                .where(AppointmentRow.task_key == task.key)
                .order_by(AppointmentRow.start_at)
            )
        )
        attempts = list(
            uow.session.scalars(
                select(AttemptRow).where(AttemptRow.task_id == task_id).order_by(AttemptRow.number)
            )
        )
        uow.session.expunge_all()
    return TaskDetail(task, campaign, visits, attempts)


def do_not_call(store: Store) -> list[DoNotCallRow]:
    with store.unit_of_work() as uow:
        rows = list(uow.session.scalars(select(DoNotCallRow).order_by(DoNotCallRow.added_at)))
        uow.session.expunge_all()
    return rows


def audit_trail(store: Store, prefix: str, limit: int = 20) -> list[AuditRow]:
    query = (
        select(AuditRow)
        .where(AuditRow.action.startswith(prefix))
        .order_by(AuditRow.at.desc(), AuditRow.id.desc())
        .limit(limit)
    )
    with store.unit_of_work() as uow:
        rows = list(uow.session.scalars(query))
        uow.session.expunge_all()
    return rows
