"""The dispatcher's view of the store, on the store's repositories: one short unit of work per
step, so a kill -9 at any moment leaves the database consistent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dozvon.campaign.clock import Clock
from dozvon.campaign.dispatcher import DueTask
from dozvon.campaign.next_step import Dial
from dozvon.core.appointment import AppointmentStatus
from dozvon.core.attempt import Attempt
from dozvon.core.task import Task, TaskStatus
from dozvon.mis.base import OutcomeRecord
from dozvon.store import CampaignState, Store, UnitOfWork
from dozvon.store.codec import outcome_record_to_json
from dozvon.store.models import AppointmentRow, AttemptRow, CampaignRow, OutboxRow, TaskRow
from dozvon.store.repositories import to_core
from dozvon.store.repositories.attempts import _to_core as attempt_to_core


class SqlCampaignState:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # ---- campaigns ----

    def running_campaigns(self) -> list[str]:
        with self.store.unit_of_work() as uow:
            query = select(CampaignRow.name).where(CampaignRow.state == CampaignState.RUNNING)
            return list(uow.session.scalars(query))

    def set_campaign_state(self, name: str, state: CampaignState, actor: str, why: str) -> bool:
        with self.store.unit_of_work() as uow:
            if uow.campaigns.get(name) is None:
                return False
            uow.campaigns.set_state(name, state)
            uow.audit.record(self.clock.now(), actor, f"campaign.{state.value}", name, {"why": why})
            uow.commit()
            return True

    def pause_all(self, reason: str) -> None:
        for name in self.running_campaigns():
            self.set_campaign_state(name, CampaignState.PAUSED, "dispatcher", reason)

    # ---- due work ----

    def due_tasks(
        self, campaigns: Sequence[str], now: datetime, limit: int, exclude: Collection[int]
    ) -> list[DueTask]:
        """Soonest visit first, then priority: the store's own `due` orders by priority only."""
        first_start = func.min(AppointmentRow.start_at).label("first_start")
        query = (
            select(TaskRow, CampaignRow.name, first_start)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .join(AppointmentRow, AppointmentRow.task_key == TaskRow.key)
            .where(
                CampaignRow.name.in_(campaigns),
                TaskRow.status == TaskStatus.PENDING,
                TaskRow.next_due_at <= now,
                AppointmentRow.status == AppointmentStatus.BOOKED,
            )
            .group_by(TaskRow.id, CampaignRow.name)
            .order_by(first_start, TaskRow.priority.desc(), TaskRow.id)
            .limit(limit + len(exclude))
        )
        with self.store.unit_of_work() as uow:
            picked = [(t, name) for t, name, _ in uow.session.execute(query) if t.id not in exclude]
            return [
                DueTask(
                    row.id, name, load_task(uow.session, row), tuple(uow.attempts.for_task(row.id))
                )
                for row, name in picked[:limit]
            ]

    def next_due_at(self, campaigns: Sequence[str]) -> datetime | None:
        query = (
            select(func.min(TaskRow.next_due_at))
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(CampaignRow.name.in_(campaigns), TaskRow.status == TaskStatus.PENDING)
        )
        with self.store.unit_of_work() as uow:
            return uow.session.scalar(query)

    def queued(self, now: datetime) -> int:
        """Tasks of running campaigns due now and not on a line: the queue shown to people."""
        query = (
            select(func.count())
            .select_from(TaskRow)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(
                CampaignRow.state == CampaignState.RUNNING,
                TaskRow.status == TaskStatus.PENDING,
                TaskRow.next_due_at <= now,
            )
        )
        with self.store.unit_of_work() as uow:
            return int(uow.session.scalar(query) or 0)

    def blocked_numbers(self, phones: Collection[str]) -> set[str]:
        with self.store.unit_of_work() as uow:
            return uow.do_not_call.listed(phones)

    def recent_contacts(
        self, phones: Collection[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """One query for a whole batch; the store's `contacts_since` answers for one person."""
        query = select(AttemptRow.phone, AttemptRow.started_at).where(
            AttemptRow.phone.in_(list(phones)), AttemptRow.started_at >= since
        )
        contacts: dict[str, list[datetime]] = {}
        with self.store.unit_of_work() as uow:
            for phone, started in uow.session.execute(query):
                contacts.setdefault(phone, []).append(started)
        return contacts

    # ---- attempts ----

    def start_attempt(self, due: DueTask, dial: Dial, now: datetime) -> int | None:
        """Committed before the channel dials: after a crash the attempt is known to exist.
        None, with nothing written, when the task is no longer pending or not yet due (the
        dispatcher's batch may be a second old)."""
        with self.store.unit_of_work() as uow:
            task = uow.tasks.by_id(due.id)
            due_at = task.next_due_at
            if task.status is not TaskStatus.PENDING or due_at is None or due_at > now:
                return None
            attempt = uow.attempts.start(due.id, dial.channel, dial.phone, now)
            uow.commit()
            return attempt.number

    def finish_attempt(
        self, due: DueTask, attempt: Attempt, status: TaskStatus, next_at: datetime | None
    ) -> None:
        with self.store.unit_of_work() as uow:
            close_attempt(uow, due.id, attempt, status, next_at, due.task)
            uow.commit()

    def postpone(self, task_id: int, until: datetime, reason: str) -> None:
        with self.store.unit_of_work() as uow:
            uow.tasks.set_status(task_id, TaskStatus.PENDING, self.clock.now(), until)
            uow.commit()

    def close_task(self, task_id: int, status: TaskStatus, reason: str) -> None:
        with self.store.unit_of_work() as uow:
            now = self.clock.now()
            uow.tasks.set_status(task_id, status, now)
            key = uow.tasks.by_id(task_id).key
            uow.audit.record(now, "dispatcher", f"task.{status.value}", key, {"why": reason})
            uow.commit()


def load_attempts(session: Session, task_ids: Sequence[int]) -> dict[int, list[Attempt]]:
    """Attempts of many tasks in one query (the store's repository reads one task at a time)."""
    found: dict[int, list[Attempt]] = {}
    if task_ids:
        query = (
            select(AttemptRow)
            .where(AttemptRow.task_id.in_(list(task_ids)))
            .order_by(AttemptRow.task_id, AttemptRow.number)
        )
        for row in session.scalars(query):
            found.setdefault(row.task_id, []).append(attempt_to_core(row))
    return found


def load_task(session: Session, row: TaskRow) -> Task:
    """The task with its visits that are still booked."""
    members = session.scalars(
        select(AppointmentRow)
        .where(
            AppointmentRow.task_key == row.key, AppointmentRow.status == AppointmentStatus.BOOKED
        )
        .order_by(AppointmentRow.start_at, AppointmentRow.external_id)
    )
    return Task(
        key=row.key,
        phones=tuple(row.phones),
        day=row.day,
        timezone=row.timezone,
        appointments=tuple(to_core(a) for a in members),
    )


def close_attempt(
    uow: UnitOfWork,
    task_id: int,
    attempt: Attempt,
    status: TaskStatus,
    next_at: datetime | None,
    task: Task,
) -> None:
    """The outcome, the task's new state and one outbox row per visit: one transaction."""
    assert attempt.outcome is not None and attempt.finished_at is not None
    uow.attempts.finish(
        task_id, attempt.number, attempt.outcome, attempt.evidence, attempt.finished_at
    )
    uow.tasks.set_status(task_id, status, attempt.finished_at, next_at)
    for appointment in task.appointments:
        enqueue(uow, appointment.source, appointment.external_id, attempt)


def enqueue(uow: UnitOfWork, source: str, appointment_id: str, attempt: Attempt) -> None:
    """Number outcomes per visit: a visit that moved between tasks keeps counting upwards, and
    (source, visit, number) stays unique, as the MIS sink's idempotency key needs."""
    assert attempt.outcome is not None and attempt.finished_at is not None
    previous = uow.session.scalar(
        select(func.max(OutboxRow.attempt)).where(
            OutboxRow.source == source, OutboxRow.appointment_id == appointment_id
        )
    )
    number = (previous or 0) + 1
    record = OutcomeRecord(
        appointment_id=appointment_id,
        attempt=number,
        outcome=attempt.outcome,
        evidence=attempt.evidence,
        attempts_total=number,
        finished_at=attempt.finished_at,
        channel=attempt.channel.value,
    )
    uow.outbox.enqueue(
        source, appointment_id, number, outcome_record_to_json(record), attempt.finished_at
    )
