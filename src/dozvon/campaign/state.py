"""The dispatcher's view of the store, on the store's repositories: one short unit of work per
step, so a kill -9 at any moment leaves the database consistent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from dozvon.campaign.clock import Clock
from dozvon.campaign.dispatcher import DueTask
from dozvon.campaign.next_step import Dial
from dozvon.core.attempt import Attempt
from dozvon.core.task import Task, TaskStatus
from dozvon.mis.base import OutcomeRecord
from dozvon.store import CampaignState, Store, UnitOfWork
from dozvon.store.codec import outcome_record_to_json
from dozvon.store.models import TaskRow


class SqlCampaignState:
    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # ---- campaigns ----

    def running_campaigns(self) -> list[str]:
        with self.store.unit_of_work() as uow:
            states = uow.campaigns.states()
        return [name for name, state in states.items() if state is CampaignState.RUNNING]

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
        with self.store.unit_of_work() as uow:
            picked = uow.tasks.soonest_due(campaigns, now, limit, exclude)
            attempts = uow.attempts.for_tasks([due.task.id for due in picked])
            return [
                DueTask(
                    due.task.id,
                    due.campaign,
                    load_task(uow, due.task),
                    tuple(attempts.get(due.task.id, ())),
                )
                for due in picked
            ]

    def next_due_at(self, campaigns: Sequence[str]) -> datetime | None:
        with self.store.unit_of_work() as uow:
            return uow.tasks.next_due_at(campaigns)

    def queued(self, now: datetime) -> int:
        """Tasks of running campaigns due now and not on a line: the queue shown to people."""
        with self.store.unit_of_work() as uow:
            return uow.tasks.count_due(now)

    def blocked_numbers(self, phones: Collection[str]) -> set[str]:
        with self.store.unit_of_work() as uow:
            return uow.do_not_call.listed(phones)

    def recent_contacts(
        self, phones: Collection[str], since: datetime
    ) -> dict[str, list[datetime]]:
        with self.store.unit_of_work() as uow:
            return uow.attempts.contacts_since(phones, since)

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


def load_task(uow: UnitOfWork, row: TaskRow) -> Task:
    """The task with its visits that are still booked."""
    return Task(
        key=row.key,
        phones=tuple(row.phones),
        day=row.day,
        timezone=row.timezone,
        appointments=tuple(uow.appointments.for_task(row.key, booked_only=True)),
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
    number = uow.outbox.last_attempt(source, appointment_id) + 1
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
