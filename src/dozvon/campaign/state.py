"""The dispatcher's view of the store: due tasks, attempts, outbox rows; one short transaction
per step, so a kill -9 at any moment leaves the store consistent."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from dozvon.campaign.clock import Clock
from dozvon.campaign.dispatcher import DueTask
from dozvon.campaign.next_step import Dial
from dozvon.core.appointment import AppointmentStatus
from dozvon.core.attempt import Attempt
from dozvon.core.task import Task, TaskStatus
from dozvon.mis.base import OutcomeRecord
from dozvon.store.codec import evidence_from_json, evidence_to_json
from dozvon.store.models import (
    AppointmentRow,
    AttemptRow,
    AuditRow,
    CampaignRow,
    CampaignState,
    DoNotCallRow,
    OutboxRow,
    OutboxState,
    TaskRow,
)
from dozvon.store.repositories.appointments import to_core


def attempt_from_row(row: AttemptRow) -> Attempt:
    return Attempt(
        task_id=str(row.task_id),
        number=row.number,
        channel=row.channel,
        started_at=row.started_at,
        phone=row.phone,
        finished_at=row.finished_at,
        outcome=row.outcome,
        evidence=evidence_from_json(row.evidence),
    )


def record_to_json(record: OutcomeRecord) -> dict[str, Any]:
    return {
        "appointment_id": record.appointment_id,
        "attempt": record.attempt,
        "outcome": record.outcome.value,
        "evidence": evidence_to_json(record.evidence),
        "attempts_total": record.attempts_total,
        "finished_at": record.finished_at.isoformat(),
        "channel": record.channel,
    }


class SqlCampaignState:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    # ---- campaigns ----

    def running_campaigns(self) -> list[str]:
        with Session(self.engine) as session:
            query = select(CampaignRow.name).where(CampaignRow.state == CampaignState.RUNNING)
            return list(session.scalars(query))

    def set_campaign_state(self, name: str, state: CampaignState, actor: str, why: str) -> bool:
        with Session(self.engine) as session, session.begin():
            row = session.scalars(select(CampaignRow).where(CampaignRow.name == name)).one_or_none()
            if row is None:
                return False
            row.state = state
            session.add(_audit(self.clock.now(), actor, f"campaign.{state.value}", name, why))
            return True

    def pause_all(self, reason: str) -> None:
        with Session(self.engine) as session, session.begin():
            running = session.scalars(
                select(CampaignRow).where(CampaignRow.state == CampaignState.RUNNING)
            )
            for row in running:
                row.state = CampaignState.PAUSED
                session.add(
                    _audit(self.clock.now(), "dispatcher", "campaign.paused", row.name, reason)
                )

    # ---- due work ----

    def due_tasks(
        self, campaigns: Sequence[str], now: datetime, limit: int, exclude: Collection[int]
    ) -> list[DueTask]:
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
        with Session(self.engine) as session:
            picked = [(t, name) for t, name, _ in session.execute(query) if t.id not in exclude]
            picked = picked[:limit]
            return self._load(session, picked)

    def _load(self, session: Session, picked: list[tuple[TaskRow, str]]) -> list[DueTask]:
        if not picked:
            return []
        keys = {task.key for task, _ in picked}
        members: dict[str, list[AppointmentRow]] = {}
        appointment_query = (
            select(AppointmentRow)
            .where(
                AppointmentRow.task_key.in_(keys),
                AppointmentRow.status == AppointmentStatus.BOOKED,
            )
            .order_by(AppointmentRow.start_at, AppointmentRow.external_id)
        )
        for row in session.scalars(appointment_query):
            members.setdefault(row.task_key or "", []).append(row)
        attempts: dict[int, list[Attempt]] = {}
        ids = [task.id for task, _ in picked]
        for row in session.scalars(select(AttemptRow).where(AttemptRow.task_id.in_(ids))):
            attempts.setdefault(row.task_id, []).append(attempt_from_row(row))
        return [
            DueTask(
                id=task.id,
                campaign=name,
                task=build_task(task, members.get(task.key, [])),
                attempts=tuple(sorted(attempts.get(task.id, []), key=lambda a: a.number)),
            )
            for task, name in picked
        ]

    def next_due_at(self, campaigns: Sequence[str]) -> datetime | None:
        query = (
            select(func.min(TaskRow.next_due_at))
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(CampaignRow.name.in_(campaigns), TaskRow.status == TaskStatus.PENDING)
        )
        with Session(self.engine) as session:
            return session.scalar(query)

    def do_not_call(self) -> frozenset[str]:
        with Session(self.engine) as session:
            return frozenset(session.scalars(select(DoNotCallRow.phone)))

    def contacts_since(self, phone: str, since: datetime) -> list[datetime]:
        query = select(AttemptRow.started_at).where(
            AttemptRow.phone == phone, AttemptRow.started_at > since
        )
        with Session(self.engine) as session:
            return list(session.scalars(query))

    # ---- attempts ----

    def start_attempt(self, due: DueTask, dial: Dial, now: datetime) -> int:
        """Committed before the channel dials: after a crash the attempt is known to exist."""
        with Session(self.engine) as session, session.begin():
            row = AttemptRow(
                task_id=due.id,
                number=dial.number,
                channel=dial.channel,
                phone=dial.phone,
                started_at=now,
                evidence={},
            )
            session.add(row)
            session.execute(
                update(TaskRow)
                .where(TaskRow.id == due.id)
                .values(status=TaskStatus.IN_PROGRESS, attempts_count=dial.number, updated_at=now)
            )
            session.flush()
            return row.id

    def finish_attempt(
        self,
        due: DueTask,
        attempt: Attempt,
        attempt_id: int,
        status: TaskStatus,
        next_at: datetime | None,
    ) -> None:
        with Session(self.engine) as session, session.begin():
            close_attempt(session, due.id, attempt_id, attempt, status, next_at, due.task)

    def postpone(self, task_id: int, until: datetime, reason: str) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(update(TaskRow).where(TaskRow.id == task_id).values(next_due_at=until))

    def close_task(self, task_id: int, status: TaskStatus, reason: str) -> None:
        with Session(self.engine) as session, session.begin():
            task = session.get_one(TaskRow, task_id)
            task.status = status
            task.next_due_at = None
            session.add(
                _audit(self.clock.now(), "dispatcher", f"task.{status.value}", task.key, reason)
            )


def build_task(row: TaskRow, members: Sequence[AppointmentRow]) -> Task:
    return Task(
        key=row.key,
        phones=tuple(row.phones),
        day=row.day,
        timezone=row.timezone,
        appointments=tuple(to_core(a) for a in members),
    )


def load_task(session: Session, row: TaskRow) -> Task:
    """The task with its visits that are still booked."""
    members = session.scalars(
        select(AppointmentRow)
        .where(
            AppointmentRow.task_key == row.key, AppointmentRow.status == AppointmentStatus.BOOKED
        )
        .order_by(AppointmentRow.start_at, AppointmentRow.external_id)
    )
    return build_task(row, list(members))


def close_attempt(
    session: Session,
    task_id: int,
    attempt_id: int,
    attempt: Attempt,
    status: TaskStatus,
    next_at: datetime | None,
    task: Task,
) -> None:
    """The outcome, the task's new state and one outbox row per visit, in one transaction."""
    assert attempt.outcome is not None and attempt.finished_at is not None
    row = session.get_one(AttemptRow, attempt_id)
    row.finished_at = attempt.finished_at
    row.outcome = attempt.outcome
    row.evidence = evidence_to_json(attempt.evidence)
    task_row = session.get_one(TaskRow, task_id)
    task_row.status = status
    task_row.next_due_at = next_at
    task_row.updated_at = attempt.finished_at
    for appointment in task.appointments:
        enqueue(session, appointment.source, appointment.external_id, attempt)


def enqueue(session: Session, source: str, appointment_id: str, attempt: Attempt) -> None:
    """Number the outcome per visit: a visit that moved between tasks keeps counting upwards,
    and (source, visit, number) stays unique."""
    assert attempt.outcome is not None and attempt.finished_at is not None
    previous = session.scalar(
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
    session.add(
        OutboxRow(
            source=source,
            appointment_id=appointment_id,
            attempt=number,
            payload=record_to_json(record),
            state=OutboxState.PENDING,
            tries=0,
            next_try_at=attempt.finished_at,
            created_at=attempt.finished_at,
        )
    )


def _audit(now: datetime, actor: str, action: str, subject: str, detail: str) -> AuditRow:
    return AuditRow(at=now, actor=actor, action=action, subject=subject, details={"detail": detail})
