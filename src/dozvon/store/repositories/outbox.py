"""The write-back outbox: each outcome is queued once and delivered at least once; the sink's
idempotency by (appointment, attempt) turns that into exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from dozvon.store.models import AppointmentRow, OutboxRow, OutboxState

MAX_ERROR_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Delivered:
    """An outcome the MIS acknowledged, with the visit's start as we last stored it."""

    appointment_id: str
    attempt: int
    outcome: str
    at: datetime
    """When it was delivered (its creation time for a row delivered before that was kept)."""
    visit_start: datetime


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

    def due_heads(self, now: datetime, limit: int) -> list[OutboxRow]:
        """Each visit's oldest pending row, when it is due, oldest first. Unlike `claim`, a
        visit's second outcome can never overtake its first after a failed try, so outcomes
        reach the MIS in order; nothing is leased (one writer reads this)."""
        earlier = aliased(OutboxRow)
        head_of_line = (
            select(func.min(earlier.id))
            .where(
                earlier.source == OutboxRow.source,
                earlier.appointment_id == OutboxRow.appointment_id,
                earlier.state == OutboxState.PENDING,
            )
            .scalar_subquery()
        )
        query = (
            select(OutboxRow)
            .where(
                OutboxRow.state == OutboxState.PENDING,
                OutboxRow.next_try_at <= now,
                OutboxRow.id == head_of_line,
            )
            .order_by(OutboxRow.id)
            .limit(limit)
        )
        return list(self._session.scalars(query))

    def last_attempt(self, source: str, appointment_id: str) -> int:
        """The highest outcome number queued for this visit, 0 when none is."""
        query = select(func.max(OutboxRow.attempt)).where(
            OutboxRow.source == source, OutboxRow.appointment_id == appointment_id
        )
        return self._session.scalar(query) or 0

    def undelivered(self) -> list[OutboxRow]:
        """Rows still waiting for the MIS or given up on, oldest first."""
        query = (
            select(OutboxRow).where(OutboxRow.state != OutboxState.DELIVERED).order_by(OutboxRow.id)
        )
        return list(self._session.scalars(query))

    def wholly_delivered_at(self, since: datetime) -> set[datetime]:
        """Creation times, from `since` on, whose every row is delivered. An attempt's rows
        (one a visit) are created at its finish time in one transaction, so this says which
        attempts the MIS has in full."""
        query = select(OutboxRow.created_at, OutboxRow.state).where(OutboxRow.created_at >= since)
        delivered: set[datetime] = set()
        waiting: set[datetime] = set()
        for created, state in self._session.execute(query):
            (delivered if state is OutboxState.DELIVERED else waiting).add(created)
        return delivered - waiting

    def last_delivered(self, source: str, start: datetime, end: datetime) -> list[Delivered]:
        """Per visit of `source` starting in [start, end), the newest outcome delivered."""
        query = (
            select(OutboxRow, AppointmentRow.start_at)
            .join(
                AppointmentRow,
                (AppointmentRow.source == OutboxRow.source)
                & (AppointmentRow.external_id == OutboxRow.appointment_id),
            )
            .where(
                OutboxRow.source == source,
                OutboxRow.state == OutboxState.DELIVERED,
                AppointmentRow.start_at >= start,
                AppointmentRow.start_at < end,
            )
            .order_by(OutboxRow.appointment_id, OutboxRow.attempt)
        )
        last: dict[str, Delivered] = {}
        for row, visit_start in self._session.execute(query):
            last[row.appointment_id] = Delivered(
                row.appointment_id,
                row.attempt,
                row.payload["outcome"],
                row.delivered_at or row.created_at,
                visit_start,
            )
        return list(last.values())

    def mark_delivered(self, outbox_id: int, now: datetime) -> None:
        row = self._get(outbox_id)
        row.state = OutboxState.DELIVERED
        row.delivered_at = now
        row.last_error = None

    def mark_failed(
        self, outbox_id: int, error: str, retry_at: datetime | None, count_try: bool = False
    ) -> None:
        """Record a failed delivery: retried at `retry_at`, or given up on when it is None.
        `claim` counts a try when it hands the row out; a writer reading `due_heads` claims
        nothing and counts the failed try here (`count_try`)."""
        row = self._get(outbox_id)
        row.last_error = error[:MAX_ERROR_CHARS]
        if count_try:
            row.tries += 1
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
