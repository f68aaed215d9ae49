"""After kill -9 or a power cut: close the attempts the dead process left open.

An open attempt may have rung the patient or not; we cannot know. It is closed as
network_error with the note "interrupted", and the retry policy counts it like any other, so
the patient is not called again sooner than the policy allows and the attempt caps still hold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from dozvon.campaign.next_step import after_attempt
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.state import attempt_from_row, close_attempt, load_task
from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Evidence, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store.models import AttemptRow, AuditRow, CampaignRow, TaskRow

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the process stopped before the attempt finished"


def recover(engine: Engine, campaigns: Mapping[str, CampaignSpec], now: datetime) -> int:
    """Close every open attempt; returns how many were closed."""
    closed = 0
    with Session(engine) as session, session.begin():
        open_rows = session.scalars(select(AttemptRow).where(AttemptRow.outcome.is_(None)))
        for row in list(open_rows):
            task_row = session.get_one(TaskRow, row.task_id)
            name = session.get_one(CampaignRow, task_row.campaign_id).name
            spec = campaigns.get(name) or CampaignSpec(name)
            task = load_task(session, task_row)
            attempts = [
                attempt_from_row(a)
                for a in session.scalars(
                    select(AttemptRow).where(AttemptRow.task_id == task_row.id)
                )
                if a.id != row.id
            ]
            interrupted = Attempt(
                task_id=str(task_row.id),
                number=row.number,
                channel=row.channel,
                started_at=row.started_at,
                phone=row.phone,
                finished_at=now,
                outcome=Outcome.NETWORK_ERROR,
                evidence=Evidence(notes={"interrupted": INTERRUPTED}),
            )
            attempts.append(interrupted)
            if task.appointments:
                after = after_attempt(spec, task, attempts, now)
                status, next_at = after.status, after.next_at
            else:
                status, next_at = TaskStatus.CANCELLED, None
            close_attempt(session, task_row.id, row.id, interrupted, status, next_at, task)
            session.add(
                AuditRow(
                    at=now,
                    actor="recovery",
                    action="attempt.interrupted",
                    subject=f"{task_row.key}#{row.number}",
                    details={"next_due_at": next_at.isoformat() if next_at else None},
                )
            )
            closed += 1
        stuck = select(TaskRow).where(TaskRow.status == TaskStatus.IN_PROGRESS)
        for task_row in session.scalars(stuck):
            task_row.status = TaskStatus.PENDING
    if closed:
        log.warning("closed %d attempts left open by a crash", closed)
    return closed
