"""Attempts. `start` must be committed before the call is placed: after a crash, an attempt
that was started but never finished is found by `open_attempts` instead of being forgotten,
so a patient is never called twice unknowingly."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store.codec import evidence_from_json, evidence_to_json
from dozvon.store.models import AttemptRow, TaskRow


class AttemptRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def start(self, task_id: int, channel: Channel, phone: str, started_at: datetime) -> Attempt:
        """Number the attempt by bumping the task's counter first: the write comes before any
        read, so two workers can never take the same number."""
        number = self._session.execute(
            update(TaskRow)
            .where(TaskRow.id == task_id)
            .values(
                attempts_count=TaskRow.attempts_count + 1,
                status=TaskStatus.IN_PROGRESS,
                updated_at=started_at,
            )
            .returning(TaskRow.attempts_count)
        ).scalar_one_or_none()
        if number is None:
            raise LookupError(f"no task {task_id}")
        row = AttemptRow(
            task_id=task_id,
            number=number,
            channel=channel,
            phone=phone,
            started_at=started_at,
            evidence={},
        )
        self._session.add(row)
        self._session.flush()
        return _to_core(row)

    def finish(
        self,
        task_id: int,
        number: int,
        outcome: Outcome,
        evidence: Evidence,
        finished_at: datetime,
    ) -> Attempt:
        row = self._get(task_id, number)
        if row.outcome is not None:
            raise ValueError(f"attempt {number} of task {task_id} already ended: {row.outcome}")
        row.outcome = outcome
        row.evidence = evidence_to_json(evidence)
        row.finished_at = finished_at
        self._session.flush()
        return _to_core(row)

    def for_task(self, task_id: int) -> list[Attempt]:
        query = select(AttemptRow).where(AttemptRow.task_id == task_id).order_by(AttemptRow.number)
        return [_to_core(row) for row in self._session.scalars(query)]

    def open_attempts(self) -> list[Attempt]:
        """Started and never finished: what a crash left behind."""
        query = (
            select(AttemptRow)
            .where(AttemptRow.outcome.is_(None))
            .order_by(AttemptRow.started_at, AttemptRow.id)
        )
        return [_to_core(row) for row in self._session.scalars(query)]

    def contacts_since(self, phones: Collection[str], since: datetime) -> list[datetime]:
        """Start times of attempts on these numbers, in any campaign: input for ContactCap."""
        if not phones:
            return []
        query = select(AttemptRow.started_at).where(
            AttemptRow.phone.in_(list(phones)), AttemptRow.started_at >= since
        )
        return list(self._session.scalars(query))

    def _get(self, task_id: int, number: int) -> AttemptRow:
        query = select(AttemptRow).where(AttemptRow.task_id == task_id, AttemptRow.number == number)
        row = self._session.scalars(query).one_or_none()
        if row is None:
            raise LookupError(f"no attempt {number} of task {task_id}")
        return row


def _to_core(row: AttemptRow) -> Attempt:
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
