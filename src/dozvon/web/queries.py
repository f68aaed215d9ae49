"""Read-only questions the pages ask of the store, one short unit of work each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dozvon.core.appointment import Appointment
from dozvon.core.attempt import Attempt
from dozvon.core.task import TaskStatus
from dozvon.store import CampaignState, Store
from dozvon.store.repositories.attempts import AttemptLine
from dozvon.store.repositories.audit import AuditEntry
from dozvon.store.repositories.people import Listed

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
class TaskDetail:
    id: int
    campaign: str
    day: date
    phones: list[str]
    status: TaskStatus
    visits: list[Appointment]
    attempts: list[Attempt]


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), ZoneInfo(zone))
    return start, start + timedelta(days=1)


def campaign_days(store: Store, names: list[str], day: date, zone: str) -> list[CampaignDay]:
    """Each campaign's state, its tasks by status for visits from `day` on (a task's day is its
    visit's, usually ahead of the call), and the outcomes of the attempts started on `day`."""
    with store.unit_of_work() as uow:
        states = uow.campaigns.states()
        tasks = uow.tasks.status_counts(from_day=day)
        outcomes = uow.attempts.outcome_counts(started_in=day_bounds(day, zone))
    return [
        CampaignDay(
            name,
            states.get(name),
            {status.value: count for status, count in tasks.get(name, {}).items()},
            {
                (outcome.value if outcome else "in_progress"): count
                for outcome, count in outcomes.get(name, {}).items()
            },
        )
        for name in names
    ]


def attempts_of_day(
    store: Store, day: date, zone: str, page: int, size: int = PAGE_SIZE
) -> tuple[list[AttemptLine], int]:
    """One page of the day's attempts, newest first, and how many there are in all."""
    start, end = day_bounds(day, zone)
    with store.unit_of_work() as uow:
        total = uow.attempts.count_started_in(start, end)
        lines = uow.attempts.lines_started_in(start, end, max(page - 1, 0) * size, size)
    return lines, total


def task_detail(store: Store, task_id: int) -> TaskDetail | None:
    with store.unit_of_work() as uow:
        try:
            task = uow.tasks.by_id(task_id)
        except LookupError:
            return None
        return TaskDetail(
            task.id,
            uow.campaigns.by_id(task.campaign_id).name,
            task.day,
            list(task.phones),
            task.status,
            uow.appointments.for_task(task.key),
            uow.attempts.for_task(task_id),
        )


def do_not_call(store: Store) -> list[Listed]:
    with store.unit_of_work() as uow:
        return uow.do_not_call.entries()


def audit_trail(store: Store, prefix: str, limit: int = 20) -> list[AuditEntry]:
    with store.unit_of_work() as uow:
        return uow.audit.recent(limit, action_prefix=prefix)
