"""Read-only questions about the campaigns for the CLI and reports: status counts, a day's facts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from dozvon.campaign.report import AttemptFact, Undelivered
from dozvon.core.outcome import Outcome
from dozvon.store import OutboxState, Store
from dozvon.store.codec import evidence_from_json
from dozvon.store.models import AttemptRow, AuditRow, CampaignRow, OutboxRow, TaskRow


def campaign_status(store: Store, name: str) -> dict[str, object] | None:
    with store.unit_of_work() as uow:
        row = uow.campaigns.get(name)
        if row is None:
            return None
        tasks = dict(
            uow.session.execute(
                select(TaskRow.status, func.count())
                .where(TaskRow.campaign_id == row.id)
                .group_by(TaskRow.status)
            ).all()
        )
        outcomes = dict(
            uow.session.execute(
                select(AttemptRow.outcome, func.count())
                .join(TaskRow, TaskRow.id == AttemptRow.task_id)
                .where(TaskRow.campaign_id == row.id)
                .group_by(AttemptRow.outcome)
            ).all()
        )
        last_change = uow.session.scalars(
            select(AuditRow)
            .where(AuditRow.subject == name, AuditRow.action.startswith("campaign."))
            .order_by(AuditRow.id.desc())
            .limit(1)
        ).first()
        return {
            "campaign": name,
            "state": row.state.value,
            "since": last_change.at.isoformat() if last_change else None,
            "why": (last_change.details.get("why") if last_change else None),
            "tasks": {str(k): v for k, v in tasks.items()},
            "outcomes": {(k.value if k else "in_progress"): v for k, v in outcomes.items()},
            "outbox_pending": uow.outbox.count(OutboxState.PENDING),
        }


def day_facts(store: Store, day: date, zone: str) -> list[list[AttemptFact]]:
    """Each task's finished attempts that started on `day` in the clinic's zone."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, datetime.min.time(), tz)
    end = start + timedelta(days=1)
    with store.unit_of_work() as uow:
        rows = list(
            uow.session.scalars(
                select(AttemptRow).where(
                    AttemptRow.started_at >= start,
                    AttemptRow.started_at < end,
                    AttemptRow.outcome.is_not(None),
                )
            )
        )
        # An attempt's outbox rows are created at its finish time (one transaction).
        states = uow.session.execute(select(OutboxRow.created_at, OutboxRow.state))
        pending: set[datetime] = set()
        delivered: set[datetime] = set()
        for created, state in states:
            (delivered if state is OutboxState.DELIVERED else pending).add(created)
        tasks: dict[int, list[AttemptFact]] = defaultdict(list)
        for row in rows:
            assert row.outcome is not None and row.finished_at is not None
            tasks[row.task_id].append(
                AttemptFact(
                    number=row.number,
                    outcome=Outcome(row.outcome),
                    evidence=evidence_from_json(row.evidence),
                    started_at=row.started_at,
                    finished_at=row.finished_at,
                    written_back=row.finished_at in delivered and row.finished_at not in pending,
                )
            )
    return list(tasks.values())


def not_in_mis(store: Store) -> list[Undelivered]:
    """Outcomes still waiting for the MIS, or given up on."""
    with store.unit_of_work() as uow:
        rows = uow.session.scalars(
            select(OutboxRow).where(OutboxRow.state != OutboxState.DELIVERED).order_by(OutboxRow.id)
        )
        return [
            Undelivered(
                r.appointment_id, r.attempt, r.payload["outcome"], r.tries, r.last_error or ""
            )
            for r in rows
        ]


def campaign_names(store: Store) -> list[str]:
    with store.unit_of_work() as uow:
        return list(uow.session.scalars(select(CampaignRow.name).order_by(CampaignRow.name)))
