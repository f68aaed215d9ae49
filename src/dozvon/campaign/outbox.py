"""The outbox on the store, read head-of-line per visit so outcomes reach the MIS in order.

The store's `claim` hands out due rows by time, across visits; a visit's second outcome could
then overtake its first after a failed try, so this reads the store's `due_heads`, each visit's
oldest undelivered row, and counts a try when it fails.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from dozvon.campaign.writeback import OutboxItem
from dozvon.store import OutboxState, Store
from dozvon.store.codec import outcome_record_from_json


class SqlOutbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def due_outbox(self, now: datetime, limit: int) -> Sequence[OutboxItem]:
        with self.store.unit_of_work() as uow:
            return [
                OutboxItem(row.id, outcome_record_from_json(row.payload), row.tries)
                for row in uow.outbox.due_heads(now, limit)
            ]

    def mark_delivered(self, item_id: int, now: datetime) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.mark_delivered(item_id, now)
            uow.commit()

    def mark_failed(self, item_id: int, error: str, retry_at: datetime) -> None:
        with self.store.unit_of_work() as uow:
            uow.outbox.mark_failed(item_id, error, retry_at, count_try=True)
            uow.commit()

    def undelivered_count(self) -> int:
        with self.store.unit_of_work() as uow:
            return uow.outbox.count(OutboxState.PENDING)
