"""The outbox on the store: what the write-back loop reads and marks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, aliased

from dozvon.campaign.writeback import OutboxItem
from dozvon.core.outcome import Outcome
from dozvon.mis.base import OutcomeRecord
from dozvon.store.codec import evidence_from_json
from dozvon.store.models import OutboxRow, OutboxState


def record_from_json(payload: dict[str, Any]) -> OutcomeRecord:
    return OutcomeRecord(
        appointment_id=payload["appointment_id"],
        attempt=int(payload["attempt"]),
        outcome=Outcome(payload["outcome"]),
        evidence=evidence_from_json(payload["evidence"]),
        attempts_total=int(payload["attempts_total"]),
        finished_at=datetime.fromisoformat(payload["finished_at"]),
        channel=payload.get("channel", "voice"),
    )


class SqlOutbox:
    def __init__(self, engine: Engine, source: str | None = None) -> None:
        self.engine = engine
        self.source = source
        """Only this MIS's rows, when several sinks share one store."""

    def _undelivered(self) -> Any:
        condition = OutboxRow.state != OutboxState.DELIVERED
        if self.source is not None:
            condition = condition & (OutboxRow.source == self.source)
        return condition

    def due_outbox(self, now: datetime, limit: int) -> Sequence[OutboxItem]:
        earlier = aliased(OutboxRow)
        head_of_line = (
            select(func.min(earlier.id))
            .where(
                earlier.source == OutboxRow.source,
                earlier.appointment_id == OutboxRow.appointment_id,
                earlier.state != OutboxState.DELIVERED,
            )
            .scalar_subquery()
        )
        query = (
            select(OutboxRow)
            .where(self._undelivered(), OutboxRow.next_try_at <= now, OutboxRow.id == head_of_line)
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        with Session(self.engine) as session:
            return [
                OutboxItem(row.id, record_from_json(row.payload), row.tries)
                for row in session.scalars(query)
            ]

    def mark_delivered(self, item_id: int, now: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item_id)
                .values(state=OutboxState.DELIVERED, delivered_at=now, tries=OutboxRow.tries + 1)
            )

    def mark_failed(self, item_id: int, error: str, retry_at: datetime) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item_id)
                .values(
                    state=OutboxState.FAILED,
                    last_error=error[:2000],
                    next_try_at=retry_at,
                    tries=OutboxRow.tries + 1,
                )
            )

    def undelivered_count(self) -> int:
        with Session(self.engine) as session:
            return session.scalar(select(func.count()).where(self._undelivered())) or 0
