"""Sync: idempotent, and it follows what the MIS changed (moves, cancellations, new visits)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import func, select

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.sync import day_window, sync_campaign
from dozvon.core.appointment import AppointmentStatus
from dozvon.core.task import TaskStatus
from dozvon.mis.base import RowError, Window
from dozvon.store import Store
from dozvon.store.models import AppointmentRow, AuditRow, TaskRow
from dozvon.store.repositories.bulk import CHUNK

from .conftest import ListSource, tomorrow_at, visit


def window(clock: ManualClock) -> Window:
    return day_window((clock.now() + timedelta(days=1)).date(), 1, "Europe/Moscow")


def tasks(store: Store) -> dict[str, TaskStatus]:
    with store.unit_of_work() as uow:
        return {row.key: row.status for row in uow.session.scalars(select(TaskRow))}


def snapshot(store: Store) -> list[tuple[object, ...]]:
    with store.unit_of_work() as uow:
        rows = uow.session.scalars(select(AppointmentRow).order_by(AppointmentRow.id))
        apps = [(r.external_id, r.fingerprint, r.updated_at, r.task_key) for r in rows]
        task_rows = uow.session.scalars(select(TaskRow).order_by(TaskRow.id))
        return apps + [(t.key, t.status, t.next_due_at, t.updated_at) for t in task_rows]


async def test_second_run_changes_nothing(store: Store, clock: ManualClock) -> None:
    source = ListSource(
        [
            visit("a1", "+79160000001", tomorrow_at(clock, 9)),
            visit("a2", "+79160000001", tomorrow_at(clock, 10)),
            visit("b1", "+79160000002", tomorrow_at(clock, 11)),
        ]
    )
    first = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    before = snapshot(store)
    clock.advance(60)
    second = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert first.changes["new"] == 3 and first.tasks_new == 2
    assert second.changes["unchanged"] == 3 and second.tasks_new == 0
    assert snapshot(store) == before


async def test_moved_cancelled_and_new_visits(store: Store, clock: ManualClock) -> None:
    a1 = visit("a1", "+79160000001", tomorrow_at(clock, 9))
    b1 = visit("b1", "+79160000002", tomorrow_at(clock, 10))
    c1 = visit("c1", "+79160000003", tomorrow_at(clock, 11))
    source = ListSource([a1, b1, c1])
    await sync_campaign(store, source, "confirm", window(clock), clock.now())
    with store.unit_of_work() as uow:  # a1's task was already called and confirmed
        row = uow.session.scalars(
            select(TaskRow).where(TaskRow.key.startswith("+79160000001"))
        ).one()
        row.status = TaskStatus.DONE
        row.next_due_at = None
        uow.commit()

    source.items = [
        dataclasses.replace(a1, start=tomorrow_at(clock, 15)),  # moved within the day
        dataclasses.replace(b1, status=AppointmentStatus.CANCELLED),
        # c1 vanished from a MIS that lists only who still needs a call
        visit("d1", "+79160000004", tomorrow_at(clock, 12)),
    ]
    clock.advance(3600)
    report = await sync_campaign(store, source, "confirm", window(clock), clock.now())

    states = {key.split("/")[0]: status for key, status in tasks(store).items()}
    assert states == {
        "+79160000001": TaskStatus.PENDING,  # reopened: the next call states the new time
        "+79160000002": TaskStatus.CANCELLED,
        "+79160000003": TaskStatus.CANCELLED,
        "+79160000004": TaskStatus.PENDING,
    }
    assert report.tasks_reopened == 1 and report.tasks_cancelled == 2 and report.tasks_new == 1


async def test_row_errors_are_reported_and_kept(store: Store, clock: ManualClock) -> None:
    bad = RowError("testmis", 7, "TEL", "not a phone number")
    source = ListSource([visit("a1", "+79160000001", tomorrow_at(clock, 9)), bad])
    report = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert report.errors == [bad] and report.appointments == 1
    with store.unit_of_work() as uow:
        audit = uow.session.scalars(select(AuditRow).where(AuditRow.action == "sync.row_error"))
        assert [a.subject for a in audit] == ["testmis:7"]
        assert uow.session.scalar(select(func.count()).select_from(TaskRow)) == 1


async def test_several_numbers_are_kept_in_order(store: Store, clock: ManualClock) -> None:
    source = ListSource(
        [visit("a1", "+79160000001", tomorrow_at(clock, 9), phones=("+79160000009",))]
    )
    await sync_campaign(store, source, "confirm", window(clock), clock.now())
    with store.unit_of_work() as uow:
        assert uow.session.scalars(select(TaskRow.phones)).one() == ["+79160000001", "+79160000009"]


async def test_more_visits_than_a_chunk_and_a_second_run_writes_nothing(
    store: Store, clock: ManualClock
) -> None:
    count = 2 * CHUNK + 7
    source = ListSource(
        [visit(f"v{i}", f"+7916{i:07d}", tomorrow_at(clock, 8 + i % 12)) for i in range(count)]
    )
    first = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    before = snapshot(store)
    clock.advance(60)
    second = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert first.changes["new"] == count and first.tasks_new == count
    assert second.changes["unchanged"] == count and second.tasks_new == 0
    assert snapshot(store) == before
    with store.unit_of_work() as uow:
        untied = select(func.count()).where(AppointmentRow.task_key.is_(None))
        assert uow.session.scalar(untied) == 0


async def test_visit_moved_to_another_day_follows_to_a_new_task(
    store: Store, clock: ManualClock
) -> None:
    a1 = visit("a1", "+79160000001", tomorrow_at(clock, 9))
    a2 = visit("a2", "+79160000001", tomorrow_at(clock, 10))
    source = ListSource([a1, a2])
    two_days = day_window((clock.now() + timedelta(days=1)).date(), 2, "Europe/Moscow")
    await sync_campaign(store, source, "confirm", two_days, clock.now())
    source.items = [a1, dataclasses.replace(a2, start=a2.start + timedelta(days=1))]
    report = await sync_campaign(store, source, "confirm", two_days, clock.now())
    assert report.changes["changed"] == 1 and report.tasks_new == 1
    with store.unit_of_work() as uow:
        query = select(AppointmentRow.external_id, AppointmentRow.task_key)
        keys = dict(uow.session.execute(query).all())
    assert keys["a1"] != keys["a2"]
    assert set(tasks(store).values()) == {TaskStatus.PENDING}


async def test_vanished_visits_are_cancelled_and_audited(store: Store, clock: ManualClock) -> None:
    a1 = visit("a1", "+79160000001", tomorrow_at(clock, 9))
    b1 = visit("b1", "+79160000002", tomorrow_at(clock, 10))
    source = ListSource([a1, b1])
    await sync_campaign(store, source, "confirm", window(clock), clock.now())
    source.items = [a1]
    report = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert report.changes["cancelled"] == 1 and report.tasks_cancelled == 1
    with store.unit_of_work() as uow:
        status = uow.session.scalar(
            select(AppointmentRow.status).where(AppointmentRow.external_id == "b1")
        )
        audit = uow.session.scalars(
            select(AuditRow.subject).where(AuditRow.action == "sync.vanished")
        )
        assert status is AppointmentStatus.CANCELLED and list(audit) == ["testmis:b1"]


async def test_a_read_cut_short_cancels_nothing_it_did_not_reach(
    store: Store, clock: ManualClock
) -> None:
    """A truncated export lists only its first visits: the others are not gone from the MIS,
    they were not read. They stay booked, their task stays pending, and the audit says why."""
    a1 = visit("a1", "+79160000001", tomorrow_at(clock, 9))
    b1 = visit("b1", "+79160000002", tomorrow_at(clock, 10))
    source = ListSource([a1, b1])
    await sync_campaign(store, source, "confirm", window(clock), clock.now())
    truncated = RowError("testmis", 3, None, "файл обрезан", cut_short=True)
    source.items = [a1, truncated]
    report = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert report.changes["cancelled"] == 0 and report.tasks_cancelled == 0
    assert set(tasks(store).values()) == {TaskStatus.PENDING}
    with store.unit_of_work() as uow:
        status = uow.session.scalar(
            select(AppointmentRow.status).where(AppointmentRow.external_id == "b1")
        )
        kept = uow.session.scalars(
            select(AuditRow.subject).where(AuditRow.action == "sync.vanished_kept")
        )
        assert status is AppointmentStatus.BOOKED and list(kept) == ["testmis:3"]

    source.items = [a1]  # read whole again: now b1 really is gone
    report = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert report.changes["cancelled"] == 1


async def test_a_duplicated_visit_id_is_an_error_not_a_second_visit(
    store: Store, clock: ManualClock
) -> None:
    first = visit("a1", "+79160000001", tomorrow_at(clock, 9))
    source = ListSource([first, visit("a1", "+79160000002", tomorrow_at(clock, 10))])
    report = await sync_campaign(store, source, "confirm", window(clock), clock.now())
    assert [(e.row, e.field) for e in report.errors] == [("a1", "id")]
    with store.unit_of_work() as uow:
        assert uow.session.scalars(select(TaskRow.key)).one().startswith("+79160000001")
