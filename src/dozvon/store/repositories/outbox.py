"""The write-back outbox: each outcome is queued once and delivered at least once; the sink's
idempotency by (appointment, attempt) turns that into exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from dozvon.store.models import OutboxRow, OutboxState

MAX_ERROR_CHARS = 2000


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def enqueue(
        self, source: str, appointment_id: str, attempt: int, payload: dict[str, Any], now: datetime
    ) -> bool:
        """Queue one write; False when that (source, appointment, attempt) is already queued."""
        values = {
            "source": source,
            "appointment_id": appointment_id,
            "attempt": attempt,
            "payload": payload,
            "state": OutboxState.PENDING,
            "tries": 0,
            "next_try_at": now,
            "created_at": now,
        }
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(OutboxRow)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["source", "appointment_id", "attempt"])
            .returning(OutboxRow.id)
        )
        return self._session.execute(statement).first() is not None

    def claim(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        """Take due rows for delivery. One UPDATE ... RETURNING, so two writers never take the
        same row; an unfinished claim comes due again when its lease runs out."""
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.state == OutboxState.PENDING, OutboxRow.next_try_at <= now)
            .order_by(OutboxRow.next_try_at, OutboxRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        statement = (
            update(OutboxRow)
            .where(OutboxRow.id.in_(due.scalar_subquery()))
            .values(tries=OutboxRow.tries + 1, next_try_at=now + lease)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        rows = list(self._session.scalars(statement))
        rows.sort(key=lambda row: (row.next_try_at, row.id))
        return rows

    def mark_delivered(self, outbox_id: int, now: datetime) -> None:
        row = self._get(outbox_id)
        row.state = OutboxState.DELIVERED
        row.delivered_at = now
        row.last_error = None

    def mark_failed(self, outbox_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failed delivery: retried at `retry_at`, or given up on when it is None."""
        row = self._get(outbox_id)
        row.last_error = error[:MAX_ERROR_CHARS]
        if retry_at is None:
            row.state = OutboxState.FAILED
        else:
            row.next_try_at = retry_at

    def count(self, state: OutboxState) -> int:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.state == state)
        return int(self._session.scalar(query) or 0)

    def _get(self, outbox_id: int) -> OutboxRow:
        row = self._session.get(OutboxRow, outbox_id)
        if row is None:
            raise LookupError(f"no outbox row {outbox_id}")
        return row
