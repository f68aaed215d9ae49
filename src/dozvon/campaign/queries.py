"""Read-only questions about the campaigns for the CLI and reports: status counts, a day's facts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dozvon.campaign.report import AttemptFact, Undelivered
from dozvon.store import OutboxState, Store


def campaign_status(store: Store, name: str) -> dict[str, object] | None:
    with store.unit_of_work() as uow:
        row = uow.campaigns.get(name)
        if row is None:
            return None
        tasks = uow.tasks.status_counts(campaign=name).get(name, {})
        outcomes = uow.attempts.outcome_counts(campaign=name).get(name, {})
        changes = uow.audit.recent(1, action_prefix="campaign.", subject=name)
        last_change = changes[0] if changes else None
        return {
            "campaign": name,
            "state": row.state.value,
            "since": last_change.at.isoformat() if last_change else None,
            "why": (last_change.details.get("why") if last_change else None),
            "tasks": {status.value: count for status, count in tasks.items()},
            "outcomes": {(k.value if k else "in_progress"): v for k, v in outcomes.items()},
            "outbox_pending": uow.outbox.count(OutboxState.PENDING),
        }


def day_facts(store: Store, day: date, zone: str) -> list[list[AttemptFact]]:
    """Each task's finished attempts that started on `day` in the clinic's zone."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, datetime.min.time(), tz)
    end = start + timedelta(days=1)
    with store.unit_of_work() as uow:
        attempts = uow.attempts.finished_started_in(start, end)
        # An attempt finishes after it starts, so its outbox rows are created from `start` on.
        delivered = uow.outbox.wholly_delivered_at(start)
    tasks: dict[str, list[AttemptFact]] = defaultdict(list)
    for attempt in attempts:
        assert attempt.outcome is not None and attempt.finished_at is not None
        tasks[attempt.task_id].append(
            AttemptFact(
                number=attempt.number,
                outcome=attempt.outcome,
                evidence=attempt.evidence,
                started_at=attempt.started_at,
                finished_at=attempt.finished_at,
                written_back=attempt.finished_at in delivered,
            )
        )
    return list(tasks.values())


def not_in_mis(store: Store) -> list[Undelivered]:
    """Outcomes still waiting for the MIS, or given up on."""
    with store.unit_of_work() as uow:
        return [
            Undelivered(
                r.appointment_id, r.attempt, r.payload["outcome"], r.tries, r.last_error or ""
            )
            for r in uow.outbox.undelivered()
        ]


def campaign_names(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return list(uow.campaigns.states())
