"""The outbox on the store, read head-of-line per visit so outcomes reach the MIS in order.

The store's `claim` hands out due rows by time, across visits; a visit's second outcome could
then overtake its first after a failed try, so this reads only each visit's oldest undelivered
row. Marking goes through the store's repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from dozvon.campaign.writeback import OutboxItem
from dozvon.store import OutboxState, Store
from dozvon.store.codec import outcome_record_from_json
from dozvon.store.models import OutboxRow


class SqlOutbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def due_outbox(self, now: datetime, limit: int) -> Sequence[OutboxItem]:
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
        with self.store.unit_of_work() as uow:
            return [
                OutboxItem(row.id, outcome_record_from_json(row.payload), row.tries)
                for row in uow.session.scalars(query)
            ]

    def mark_delivered(self, item_id: int, now: datetime) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.mark_delivered(item_id, now)
            uow.commit()

    def mark_failed(self, item_id: int, error: str, retry_at: datetime) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.mark_failed(item_id, error, retry_at)
            row = uow.session.get_one(OutboxRow, item_id)
            row.tries += 1
            uow.commit()

    def undelivered_count(self) -> int:
        with self.store.unit_of_work() as uow:
            return uow.outbox.count(OutboxState.PENDING)
