"""After kill -9 or a power cut: close the attempts the dead process left open.

An open attempt may have rung the patient or not; we cannot know. It is closed as
network_error with the note "interrupted", and the retry policy counts it like any other, so
the patient is not called again sooner than the policy allows and the attempt caps still hold.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime

from dozvon.campaign.next_step import after_attempt
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.state import close_attempt, load_task
from dozvon.core.outcome import Evidence, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store import Store

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the process stopped before the attempt finished"


def recover(store: Store, campaigns: Mapping[str, CampaignSpec], now: datetime) -> int:
    """Close every open attempt; returns how many were closed."""
    with store.unit_of_work() as uow:
        open_attempts = uow.attempts.open_attempts()
        for open_attempt in open_attempts:
            task_row = uow.tasks.by_id(int(open_attempt.task_id))
            name = uow.campaigns.by_id(task_row.campaign_id).name
            spec = campaigns.get(name) or CampaignSpec(name)
            task = load_task(uow, task_row)
            interrupted = dataclasses.replace(
                open_attempt,
                finished_at=now,
                outcome=Outcome.NETWORK_ERROR,
                evidence=Evidence(notes={"interrupted": INTERRUPTED}),
            )
            attempts = [
                interrupted if a.number == open_attempt.number else a
                for a in uow.attempts.for_task(task_row.id)
            ]
            if task.appointments:
                after = after_attempt(spec, task, attempts, now)
                status, next_at = after.status, after.next_at
            else:
                status, next_at = TaskStatus.CANCELLED, None
            close_attempt(uow, task_row.id, interrupted, status, next_at, task)
            uow.audit.record(
                now,
                "recovery",
                "attempt.interrupted",
                f"{task_row.key}#{open_attempt.number}",
                {"next_due_at": next_at.isoformat() if next_at else None},
            )
        uow.tasks.release_in_progress()
        uow.commit()
    if open_attempts:
        log.warning("closed %d attempts left open by a crash", len(open_attempts))
    return len(open_attempts)
