"""Attempts. `start` must be committed before the call is placed: after a crash, an attempt
that was started but never finished is found by `open_attempts` instead of being forgotten,
so a patient is never called twice unknowingly."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store.codec import evidence_from_json, evidence_to_json
from dozvon.store.models import AttemptRow, CampaignRow, TaskRow
from dozvon.store.repositories.bulk import chunks


@dataclass(frozen=True, slots=True)
class AttemptLine:
    """One attempt as a list of attempts shows it: with its task and campaign."""

    task_id: int
    campaign: str
    number: int
    channel: str
    phone: str
    started_at: datetime
    outcome: str | None


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
        return self.for_tasks([task_id]).get(task_id, [])

    def for_tasks(self, task_ids: Collection[int]) -> dict[int, list[Attempt]]:
        """The attempts of many tasks, by task id, each task's in number order: one query a
        chunk, not one a task. A task with no attempt has no key."""
        found: dict[int, list[Attempt]] = {}
        for chunk in chunks(list(task_ids)):
            query = (
                select(AttemptRow)
                .where(AttemptRow.task_id.in_(chunk))
                .order_by(AttemptRow.task_id, AttemptRow.number)
            )
            for row in self._session.scalars(query):
                found.setdefault(row.task_id, []).append(_to_core(row))
        return found

    def open_attempts(self) -> list[Attempt]:
        """Started and never finished: what a crash left behind."""
        query = (
            select(AttemptRow)
            .where(AttemptRow.outcome.is_(None))
            .order_by(AttemptRow.started_at, AttemptRow.id)
        )
        return [_to_core(row) for row in self._session.scalars(query)]

    def contacts_since(self, phones: Collection[str], since: datetime) -> dict[str, list[datetime]]:
        """Start times of attempts on these numbers since `since`, in any campaign, by number
        (a number never tried has no key): input for ContactCap, for a whole batch at once."""
        contacts: dict[str, list[datetime]] = {}
        for chunk in chunks(sorted(set(phones))):
            query = select(AttemptRow.phone, AttemptRow.started_at).where(
                AttemptRow.phone.in_(chunk), AttemptRow.started_at >= since
            )
            for phone, started in self._session.execute(query):
                contacts.setdefault(phone, []).append(started)
        return contacts

    def finished_started_in(self, start: datetime, end: datetime) -> list[Attempt]:
        """Attempts started in [start, end) that have ended, by task and number."""
        query = (
            select(AttemptRow)
            .where(*_started_in(start, end), AttemptRow.outcome.is_not(None))
            .order_by(AttemptRow.task_id, AttemptRow.number)
        )
        return [_to_core(row) for row in self._session.scalars(query)]

    def count_started_in(self, start: datetime, end: datetime) -> int:
        query = select(func.count()).select_from(AttemptRow).where(*_started_in(start, end))
        return int(self._session.scalar(query) or 0)

    def lines_started_in(
        self, start: datetime, end: datetime, offset: int, limit: int
    ) -> list[AttemptLine]:
        """One page of the attempts started in [start, end), newest first."""
        query = (
            select(AttemptRow, CampaignRow.name)
            .join(TaskRow, TaskRow.id == AttemptRow.task_id)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .where(*_started_in(start, end))
            .order_by(AttemptRow.started_at.desc(), AttemptRow.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [
            AttemptLine(
                row.task_id,
                campaign,
                row.number,
                row.channel.value,
                row.phone,
                row.started_at,
                row.outcome.value if row.outcome else None,
            )
            for row, campaign in self._session.execute(query)
        ]

    def outcome_counts(
        self,
        campaign: str | None = None,
        started_in: tuple[datetime, datetime] | None = None,
    ) -> dict[str, dict[Outcome | None, int]]:
        """Attempts by campaign name and outcome (None: not finished), of one campaign or all,
        optionally only those started in [start, end)."""
        query = (
            select(CampaignRow.name, AttemptRow.outcome, func.count())
            .join(TaskRow, TaskRow.id == AttemptRow.task_id)
            .join(CampaignRow, CampaignRow.id == TaskRow.campaign_id)
            .group_by(CampaignRow.name, AttemptRow.outcome)
        )
        if campaign is not None:
            query = query.where(CampaignRow.name == campaign)
        if started_in is not None:
            query = query.where(*_started_in(*started_in))
        counts: dict[str, dict[Outcome | None, int]] = {}
        for name, outcome, count in self._session.execute(query):
            counts.setdefault(name, {})[outcome] = count
        return counts

    def _get(self, task_id: int, number: int) -> AttemptRow:
        query = select(AttemptRow).where(AttemptRow.task_id == task_id, AttemptRow.number == number)
        row = self._session.scalars(query).one_or_none()
        if row is None:
            raise LookupError(f"no attempt {number} of task {task_id}")
        return row


def _started_in(start: datetime, end: datetime) -> tuple[ColumnElement[bool], ...]:
    return (AttemptRow.started_at >= start, AttemptRow.started_at < end)


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
