"""The write-back outbox: no duplicate write, leases, retries, and giving up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import OutcomeRecord
from dozvon.store import OutboxState, Store
from dozvon.store.codec import outcome_record_from_json, outcome_record_to_json
from dozvon.store.models import OutboxRow
from tests.unit.store.factories import NOW

LEASE = timedelta(minutes=5)
RECORD = OutcomeRecord(
    appointment_id="A1",
    attempt=2,
    outcome=Outcome.CONFIRMED,
    evidence=Evidence(sip_status=200, digits="1"),
    attempts_total=2,
    finished_at=datetime(2026, 3, 2, 9, 1, tzinfo=UTC),
)


def test_outcome_record_survives_the_payload() -> None:
    assert outcome_record_from_json(outcome_record_to_json(RECORD)) == RECORD


def test_the_same_write_is_queued_once(store: Store) -> None:
    payload = outcome_record_to_json(RECORD)
    with store.unit_of_work() as uow:
        assert uow.outbox.enqueue("demo", "A1", 2, payload, NOW)
        assert not uow.outbox.enqueue("demo", "A1", 2, payload, NOW)
        assert uow.outbox.enqueue("demo", "A1", 3, payload, NOW)
        assert uow.outbox.enqueue("other", "A1", 2, payload, NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        assert not uow.outbox.enqueue("demo", "A1", 2, payload, NOW)
        assert uow.outbox.count(OutboxState.PENDING) == 3


def test_the_database_itself_refuses_a_duplicate(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.outbox.enqueue("demo", "A1", 2, {}, NOW)
        uow.session.add(
            OutboxRow(
                source="demo",
                appointment_id="A1",
                attempt=2,
                payload={},
                state=OutboxState.PENDING,
                tries=0,
                next_try_at=NOW,
                created_at=NOW,
            )
        )
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_claim_takes_due_rows_and_leases_them(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.outbox.enqueue("demo", "A1", 1, {"n": 1}, NOW)
        uow.outbox.enqueue("demo", "A2", 1, {"n": 2}, NOW + timedelta(seconds=1))
        uow.outbox.enqueue("demo", "A3", 1, {"n": 3}, NOW + timedelta(hours=1))
        uow.commit()
    now = NOW + timedelta(seconds=2)
    with store.unit_of_work() as uow:
        claimed = uow.outbox.claim(now, limit=10, lease=LEASE)
        uow.commit()
    assert [row.payload["n"] for row in claimed] == [1, 2]
    assert all(row.tries == 1 and row.next_try_at == now + LEASE for row in claimed)
    with store.unit_of_work() as uow:
        assert uow.outbox.claim(now + timedelta(minutes=1), limit=10, lease=LEASE) == []
        again = uow.outbox.claim(now + LEASE, limit=1, lease=LEASE)
        assert [row.payload["n"] for row in again] == [1]
        assert again[0].tries == 2


def test_delivered_and_given_up_rows_are_never_claimed_again(store: Store) -> None:
    with store.unit_of_work() as uow:
        for external_id in ("A1", "A2", "A3"):
            uow.outbox.enqueue("demo", external_id, 1, {}, NOW)
        first, second, third = uow.outbox.claim(NOW, limit=10, lease=LEASE)
        uow.outbox.mark_delivered(first.id, NOW)
        uow.outbox.mark_failed(
            second.id, "HTTP 500 " + "x" * 5000, retry_at=NOW + timedelta(minutes=1)
        )
        uow.outbox.mark_failed(third.id, "unknown appointment", retry_at=None)
        uow.commit()
    with store.unit_of_work() as uow:
        later = uow.outbox.claim(NOW + timedelta(hours=1), limit=10, lease=LEASE)
        assert [row.appointment_id for row in later] == ["A2"]
        assert later[0].last_error is not None and len(later[0].last_error) == 2000
        assert uow.outbox.count(OutboxState.DELIVERED) == 1
        assert uow.outbox.count(OutboxState.FAILED) == 1
        with pytest.raises(LookupError):
            uow.outbox.mark_delivered(99999, NOW)


@pytest.mark.postgres
def test_two_writers_never_claim_the_same_row(pg_store: Store) -> None:
    with pg_store.unit_of_work() as uow:
        uow.session.execute(OutboxRow.__table__.delete())
        for number in range(6):
            uow.outbox.enqueue("demo", f"B{number}", 1, {}, NOW)
        uow.commit()
    with pg_store.unit_of_work() as first, pg_store.unit_of_work() as second:
        mine = {row.id for row in first.outbox.claim(NOW, limit=4, lease=LEASE)}
        theirs = {row.id for row in second.outbox.claim(NOW, limit=4, lease=LEASE)}
        assert len(mine) == 4
        assert len(theirs) == 2
        assert not mine & theirs
