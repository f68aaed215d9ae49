"""The read queries the campaign and web layers ask through the repositories: due work, counts,
a day's attempts, a task's visits, the outbox's order and delivery state, the audit trail."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from dozvon.core.appointment import Appointment, AppointmentStatus
from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store import CampaignState, OutboxState, Store, UnitOfWork
from dozvon.store.repositories.attempts import AttemptLine
from dozvon.store.repositories.outbox import Delivered
from tests.unit.store.factories import NOW, appointment, new_task, task

BOOKED, CANCELLED = AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED


def visit(
    uow: UnitOfWork,
    external_id: str,
    task_key: str,
    hour: int,
    status: AppointmentStatus = BOOKED,
) -> None:
    start = datetime(2026, 3, 3, hour, 0, tzinfo=UTC)
    uow.appointments.upsert(appointment(external_id, start=start, status=status), None, NOW)
    uow.appointments.set_task_key("demo", external_id, task_key)


def add_task(
    uow: UnitOfWork,
    campaign: str,
    key: str,
    due: datetime = NOW,
    priority: int = 0,
    day: date = date(2026, 3, 3),
) -> int:
    campaign_id = uow.campaigns.ensure(campaign, NOW).id
    row = uow.tasks.ensure(
        campaign_id, replace(task(key), day=day), NOW, next_due_at=due, priority=priority
    )
    return row.id


def test_campaign_states_by_name_and_by_id(store: Store) -> None:
    with store.unit_of_work() as uow:
        survey = uow.campaigns.ensure("survey", NOW)
        uow.campaigns.ensure("confirm", NOW)
        uow.campaigns.set_state("survey", CampaignState.PAUSED)
        states = uow.campaigns.states()
        assert list(states) == ["confirm", "survey"]
        assert states == {"confirm": CampaignState.RUNNING, "survey": CampaignState.PAUSED}
        assert uow.campaigns.by_id(survey.id).name == "survey"
        with pytest.raises(LookupError):
            uow.campaigns.by_id(99999)


def test_soonest_due_orders_by_first_booked_visit_then_priority(store: Store) -> None:
    with store.unit_of_work() as uow:
        a = add_task(uow, "confirm", "a")
        visit(uow, "A", "a", 10)
        b = add_task(uow, "confirm", "b", due=NOW - timedelta(hours=1))
        visit(uow, "B", "b", 8)
        c = add_task(uow, "confirm", "c", priority=5)
        visit(uow, "C", "c", 10)
        add_task(uow, "confirm", "d")  # only a cancelled visit: nothing to call about
        visit(uow, "D", "d", 8, CANCELLED)
        add_task(uow, "confirm", "e", due=NOW + timedelta(minutes=1))  # not due yet
        visit(uow, "E", "e", 7)
        f = add_task(uow, "confirm", "f")  # on a line
        visit(uow, "F", "f", 6)
        uow.tasks.set_status(f, TaskStatus.IN_PROGRESS, NOW, NOW - timedelta(hours=3))
        h = add_task(uow, "confirm", "h")  # its early visit is cancelled: 09:00 counts
        visit(uow, "H1", "h", 5, CANCELLED)
        visit(uow, "H2", "h", 9)
        g = add_task(uow, "survey", "g")
        visit(uow, "G", "g", 6)

        due = uow.tasks.soonest_due(["confirm"], NOW, 10, exclude=())
        assert [row.task.id for row in due] == [b, h, c, a]
        assert {row.campaign for row in due} == {"confirm"}
        picked = uow.tasks.soonest_due(["confirm"], NOW, 2, exclude={h})
        assert [row.task.id for row in picked] == [b, c]
        both = uow.tasks.soonest_due(["confirm", "survey"], NOW, 2, exclude=())
        assert [(row.task.id, row.campaign) for row in both] == [(g, "survey"), (b, "confirm")]
        assert uow.tasks.soonest_due(["nobody"], NOW, 10, exclude=()) == []

        assert uow.tasks.next_due_at(["confirm"]) == NOW - timedelta(hours=1)
        assert uow.tasks.next_due_at(["survey"]) == NOW
        assert uow.tasks.next_due_at(["nobody"]) is None


def test_count_due_is_what_due_hands_out_without_a_limit(store: Store) -> None:
    with store.unit_of_work() as uow:
        for key in ("a", "b", "c"):
            add_task(uow, "confirm", key)
        add_task(uow, "confirm", "later", due=NOW + timedelta(seconds=1))
        started = add_task(uow, "confirm", "on-line")
        uow.tasks.set_status(started, TaskStatus.IN_PROGRESS, NOW, NOW)
        add_task(uow, "survey", "paused")
        uow.campaigns.set_state("survey", CampaignState.PAUSED)
        assert uow.tasks.count_due(NOW) == len(uow.tasks.due(NOW, limit=100)) == 3
        assert uow.tasks.count_due(NOW + timedelta(seconds=1)) == 4
        assert uow.tasks.count_due(NOW - timedelta(seconds=1)) == 0


def test_status_counts_by_campaign_and_from_a_day(store: Store) -> None:
    with store.unit_of_work() as uow:
        add_task(uow, "confirm", "a")
        add_task(uow, "confirm", "b")
        done = add_task(uow, "confirm", "c")
        uow.tasks.set_status(done, TaskStatus.DONE, NOW)
        add_task(uow, "survey", "old", day=date(2026, 3, 1))
        assert uow.tasks.status_counts() == {
            "confirm": {TaskStatus.PENDING: 2, TaskStatus.DONE: 1},
            "survey": {TaskStatus.PENDING: 1},
        }
        assert uow.tasks.status_counts(from_day=date(2026, 3, 2)) == {
            "confirm": {TaskStatus.PENDING: 2, TaskStatus.DONE: 1}
        }
        assert uow.tasks.status_counts(campaign="survey") == {"survey": {TaskStatus.PENDING: 1}}
        assert uow.tasks.status_counts(campaign="nobody") == {}


def test_release_in_progress_puts_only_in_progress_tasks_back(store: Store) -> None:
    with store.unit_of_work() as uow:
        stuck = new_task(uow, "a")
        uow.attempts.start(stuck, Channel.VOICE, "+79161234567", NOW)
        done = new_task(uow, "b")
        uow.tasks.set_status(done, TaskStatus.DONE, NOW)
        uow.tasks.release_in_progress()
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.tasks.by_id(stuck).status is TaskStatus.PENDING
        assert uow.tasks.by_id(done).status is TaskStatus.DONE


def test_visits_of_a_task_all_or_booked_only(store: Store) -> None:
    with store.unit_of_work() as uow:
        visit(uow, "A1", "k", 8)
        visit(uow, "A2", "k", 7, CANCELLED)
        visit(uow, "A3", "k", 7)
        visit(uow, "B1", "other", 6)
        every = uow.appointments.for_task("k")
        assert [(a.external_id, a.status) for a in every] == [
            ("A2", CANCELLED),
            ("A3", BOOKED),
            ("A1", BOOKED),
        ]
        assert all(isinstance(a, Appointment) for a in every)
        assert [a.external_id for a in uow.appointments.for_task("k", booked_only=True)] == [
            "A3",
            "A1",
        ]
        assert uow.appointments.for_task("nobody") == []


def _attempt(uow: UnitOfWork, task_id: int, started: datetime, outcome: Outcome | None) -> None:
    number = uow.attempts.start(task_id, Channel.VOICE, "+79161234567", started).number
    if outcome is not None:
        uow.attempts.finish(task_id, number, outcome, Evidence(), started + timedelta(seconds=30))


def test_attempts_of_many_tasks_of_a_window_and_their_outcomes(store: Store) -> None:
    end = NOW + timedelta(hours=1)
    with store.unit_of_work() as uow:
        first = new_task(uow, "a", campaign="confirm")
        second = new_task(uow, "b", campaign="survey")
        _attempt(uow, first, NOW - timedelta(days=1), Outcome.BUSY)
        _attempt(uow, first, NOW, Outcome.CONFIRMED)
        _attempt(uow, second, NOW + timedelta(minutes=1), None)
        _attempt(uow, second, NOW + timedelta(minutes=2), Outcome.NO_ANSWER)
        uow.commit()
    with store.unit_of_work() as uow:
        by_task = uow.attempts.for_tasks([second, first, 99999])
        assert {k: [a.number for a in v] for k, v in by_task.items()} == {
            first: [1, 2],
            second: [1, 2],
        }
        assert by_task[first] == uow.attempts.for_task(first)
        many = uow.attempts.for_tasks([*range(100_000, 101_500), second])  # two IN chunks
        assert list(many) == [second]

        finished = uow.attempts.finished_started_in(NOW, end)
        assert [(a.task_id, a.number, a.outcome) for a in finished] == [
            (str(first), 2, Outcome.CONFIRMED),
            (str(second), 2, Outcome.NO_ANSWER),
        ]
        assert uow.attempts.count_started_in(NOW, end) == 3
        assert uow.attempts.count_started_in(end, end + timedelta(hours=1)) == 0
        page = uow.attempts.lines_started_in(NOW, end, offset=0, limit=2)
        phone, minute = "+79161234567", timedelta(minutes=1)
        assert page == [
            AttemptLine(second, "survey", 2, "voice", phone, NOW + 2 * minute, "no_answer"),
            AttemptLine(second, "survey", 1, "voice", phone, NOW + minute, None),
        ]
        rest = uow.attempts.lines_started_in(NOW, end, offset=2, limit=2)
        assert [(line.task_id, line.campaign, line.number) for line in rest] == [
            (first, "confirm", 2)
        ]

        assert uow.attempts.outcome_counts() == {
            "confirm": {Outcome.BUSY: 1, Outcome.CONFIRMED: 1},
            "survey": {None: 1, Outcome.NO_ANSWER: 1},
        }
        assert uow.attempts.outcome_counts(campaign="confirm", started_in=(NOW, end)) == {
            "confirm": {Outcome.CONFIRMED: 1}
        }


def test_due_heads_keep_each_visits_outcomes_in_order(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.outbox.enqueue("demo", "A1", 1, {"n": "A1#1"}, NOW)
        uow.outbox.enqueue("demo", "A1", 2, {"n": "A1#2"}, NOW)
        uow.outbox.enqueue("demo", "A2", 1, {"n": "A2#1"}, NOW + timedelta(hours=1))
        uow.outbox.enqueue("demo", "A3", 1, {"n": "A3#1"}, NOW)
        [a1] = [row for row in uow.outbox.due_heads(NOW, 10) if row.payload["n"] == "A1#1"]
        uow.outbox.mark_failed(a1.id, "HTTP 503", NOW + timedelta(minutes=10), count_try=True)
        uow.commit()
    with store.unit_of_work() as uow:
        # A1's first outcome is not due again yet, and its second must not overtake it.
        soon = uow.outbox.due_heads(NOW + timedelta(minutes=1), 10)
        assert [row.payload["n"] for row in soon] == ["A3#1"]
        later = NOW + timedelta(hours=2)
        heads = uow.outbox.due_heads(later, 10)
        assert [row.payload["n"] for row in heads] == ["A1#1", "A2#1", "A3#1"]
        assert heads[0].tries == 1
        assert [row.payload["n"] for row in uow.outbox.due_heads(later, 1)] == ["A1#1"]
        uow.outbox.mark_delivered(heads[0].id, later)
        uow.outbox.mark_failed(heads[2].id, "unknown visit", None)
        assert heads[2].tries == 0
        assert [row.payload["n"] for row in uow.outbox.due_heads(later, 10)] == ["A1#2", "A2#1"]
        assert [row.payload["n"] for row in uow.outbox.undelivered()] == ["A1#2", "A2#1", "A3#1"]
        assert uow.outbox.last_attempt("demo", "A1") == 2
        assert uow.outbox.last_attempt("demo", "A3") == 1
        assert uow.outbox.last_attempt("other", "A1") == 0


def test_wholly_delivered_creation_times(store: Store) -> None:
    t0, t1, t2, t3 = (NOW + timedelta(minutes=n) for n in range(4))
    with store.unit_of_work() as uow:
        rows = {
            ("A0", t0): OutboxState.DELIVERED,
            ("A1", t1): OutboxState.DELIVERED,
            ("B1", t1): OutboxState.DELIVERED,
            ("A2", t2): OutboxState.DELIVERED,
            ("B2", t2): OutboxState.PENDING,
            ("A3", t3): OutboxState.FAILED,
        }
        for (external_id, created), _ in rows.items():
            uow.outbox.enqueue("demo", external_id, 1, {}, created)
        for head in uow.outbox.due_heads(t3, 10):
            state = rows[(head.appointment_id, head.created_at)]
            if state is OutboxState.DELIVERED:
                uow.outbox.mark_delivered(head.id, t3)
            elif state is OutboxState.FAILED:
                uow.outbox.mark_failed(head.id, "refused", None)
        assert uow.outbox.wholly_delivered_at(t1) == {t1}
        assert uow.outbox.wholly_delivered_at(t0) == {t0, t1}


def test_last_delivered_per_visit_of_a_window(store: Store) -> None:
    window_start, window_end = NOW, NOW + timedelta(days=2)
    with store.unit_of_work() as uow:
        visit(uow, "A1", "k", 7)
        uow.appointments.upsert(
            appointment("OUT", start=NOW + timedelta(days=5)), None, NOW
        )  # outside the window
        for number, outcome in ((1, "no_answer"), (2, "confirmed"), (3, "busy")):
            uow.outbox.enqueue("demo", "A1", number, {"outcome": outcome}, NOW)
        uow.outbox.enqueue("demo", "OUT", 1, {"outcome": "confirmed"}, NOW)
        for row in uow.outbox.undelivered():
            if row.attempt < 3:
                uow.outbox.mark_delivered(row.id, NOW + timedelta(minutes=row.attempt))
        uow.commit()
    with store.unit_of_work() as uow:
        assert uow.outbox.last_delivered("demo", window_start, window_end) == [
            Delivered(
                "A1",
                2,
                "confirmed",
                NOW + timedelta(minutes=2),
                datetime(2026, 3, 3, 7, 0, tzinfo=UTC),
            )
        ]
        assert uow.outbox.last_delivered("other", window_start, window_end) == []


def test_audit_recent_by_literal_action_prefix_and_subject(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.audit.record(NOW, "admin", "campaign.paused", "confirm", {"why": "holiday"})
        uow.audit.record(NOW + timedelta(minutes=1), "admin", "campaign.running", "confirm")
        uow.audit.record(NOW + timedelta(minutes=2), "admin", "campaign.paused", "survey")
        uow.audit.record(NOW, "web:anna", "do_not_call.add", "+7******67")
        uow.audit.record(NOW, "web:anna", "doXnotXcall.add", "+7******00")
        uow.commit()
    with store.unit_of_work() as uow:
        [last] = uow.audit.recent(1, action_prefix="campaign.", subject="confirm")
        assert (last.action, last.subject, last.details) == ("campaign.running", "confirm", {})
        assert [e.action for e in uow.audit.recent(action_prefix="campaign.")] == [
            "campaign.paused",
            "campaign.running",
            "campaign.paused",
        ]
        listed = uow.audit.recent(action_prefix="do_not_call.")
        assert [(e.actor, e.action) for e in listed] == [("web:anna", "do_not_call.add")]
        assert len(uow.audit.recent()) == 5


def test_do_not_call_entries_oldest_first(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.do_not_call.add("+79160000002", "asked on the phone", NOW + timedelta(hours=1))
        uow.do_not_call.add("+79160000001", "wrote a letter", NOW)
        entries = uow.do_not_call.entries()
        assert [(e.phone, e.reason, e.added_at) for e in entries] == [
            ("+79160000001", "wrote a letter", NOW),
            ("+79160000002", "asked on the phone", NOW + timedelta(hours=1)),
        ]
