"""Two workers at once, on real connections in two threads: no shared attempt number, no
outbox row delivered by both."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from dozvon.core.outcome import Channel
from dozvon.store import Store
from tests.unit.store.factories import NOW, new_task

WORKERS = 4


def test_concurrent_starts_get_distinct_numbers(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        uow.commit()

    def start(_: int) -> int:
        with store.unit_of_work() as uow:
            number = uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW).number
            uow.commit()
            return number

    with ThreadPoolExecutor(WORKERS) as pool:
        numbers = sorted(pool.map(start, range(WORKERS * 2)))
    assert numbers == list(range(1, WORKERS * 2 + 1))


def test_concurrent_claims_never_share_a_row(store: Store) -> None:
    with store.unit_of_work() as uow:
        for number in range(40):
            uow.outbox.enqueue("demo", f"C{number}", 1, {}, NOW)
        uow.commit()

    def claim(_: int) -> list[int]:
        taken: list[int] = []
        while True:
            with store.unit_of_work() as uow:
                rows = uow.outbox.claim(NOW, limit=3, lease=timedelta(minutes=5))
                uow.commit()
            if not rows:
                return taken
            taken.extend(row.id for row in rows)

    with ThreadPoolExecutor(WORKERS) as pool:
        claimed = [row_id for batch in pool.map(claim, range(WORKERS)) for row_id in batch]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40
