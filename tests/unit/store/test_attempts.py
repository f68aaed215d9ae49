"""Tasks and attempts: numbering, commit-before-call, crash recovery, the contact history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from dozvon.core.outcome import Channel, Evidence, HangupBy, Outcome
from dozvon.core.task import TaskStatus
from dozvon.store import CampaignState, Store
from dozvon.store.models import AttemptRow
from tests.unit.store.factories import NOW, new_task, task

EVIDENCE = Evidence(
    sip_status=200,
    digits="1",
    ring_seconds=4.5,
    talk_seconds=21.0,
    hangup_by=HangupBy.THEM,
    steps=("greet", "ask"),
    notes={"amd": "human"},
)


def test_attempts_are_numbered_from_one_and_counted_on_the_task(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        numbers = [
            uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW).number for _ in range(3)
        ]
        assert numbers == [1, 2, 3]
        row = uow.tasks.by_id(task_id)
        assert row.attempts_count == 3
        assert row.status is TaskStatus.IN_PROGRESS


def test_started_attempt_is_visible_to_others_once_committed(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        uow.commit()
    with store.unit_of_work() as uow:
        uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW)
        uow.commit()
    with store.unit_of_work() as other:
        assert [a.number for a in other.attempts.open_attempts()] == [1]


def test_attempt_not_committed_is_forgotten(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        uow.commit()
    with store.unit_of_work() as uow:
        uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW)
    with store.unit_of_work() as uow:
        assert uow.attempts.open_attempts() == []
        assert uow.tasks.by_id(task_id).attempts_count == 0


def test_finish_keeps_outcome_and_evidence(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW)
        uow.attempts.finish(task_id, 1, Outcome.CONFIRMED, EVIDENCE, NOW + timedelta(seconds=40))
        uow.commit()
    with store.unit_of_work() as uow:
        [attempt] = uow.attempts.for_task(task_id)
        assert attempt.outcome is Outcome.CONFIRMED
        assert attempt.evidence == EVIDENCE
        assert attempt.finished_at == NOW + timedelta(seconds=40)
        assert not attempt.is_open
        assert uow.attempts.open_attempts() == []


def test_an_attempt_ends_only_once(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW)
        uow.attempts.finish(task_id, 1, Outcome.BUSY, Evidence(sip_status=486), NOW)
        with pytest.raises(ValueError, match="already ended"):
            uow.attempts.finish(task_id, 1, Outcome.CONFIRMED, Evidence(), NOW)
        with pytest.raises(LookupError):
            uow.attempts.finish(task_id, 9, Outcome.CONFIRMED, Evidence(), NOW)


def test_database_refuses_a_second_attempt_with_the_same_number(store: Store) -> None:
    with store.unit_of_work() as uow:
        task_id = new_task(uow)
        uow.attempts.start(task_id, Channel.VOICE, "+79161234567", NOW)
        uow.session.add(
            AttemptRow(
                task_id=task_id,
                number=1,
                channel=Channel.SMS,
                phone="+7",
                started_at=NOW,
                evidence={},
            )
        )
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_foreign_keys_are_enforced(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(
            AttemptRow(
                task_id=999, number=1, channel=Channel.SMS, phone="+7", started_at=NOW, evidence={}
            )
        )
        with pytest.raises(IntegrityError):
            uow.session.flush()


def test_start_on_a_missing_task_fails(store: Store) -> None:
    with store.unit_of_work() as uow, pytest.raises(LookupError):
        uow.attempts.start(12345, Channel.VOICE, "+79161234567", NOW)


def test_contacts_since_counts_every_campaign(store: Store) -> None:
    with store.unit_of_work() as uow:
        first = new_task(uow, campaign="confirm")
        second = new_task(uow, campaign="survey")
        uow.attempts.start(first, Channel.VOICE, "+79161234567", NOW - timedelta(days=2))
        uow.attempts.start(first, Channel.VOICE, "+79161234567", NOW)
        uow.attempts.start(second, Channel.SMS, "+79161234567", NOW + timedelta(minutes=1))
        uow.attempts.start(second, Channel.SMS, "+79160000000", NOW)
        since = uow.attempts.contacts_since(["+79161234567"], NOW - timedelta(days=1))
        assert {phone: sorted(times) for phone, times in since.items()} == {
            "+79161234567": [NOW, NOW + timedelta(minutes=1)]
        }
        both = uow.attempts.contacts_since(
            ["+79161234567", "+79160000000", "+79169999999"], NOW + timedelta(seconds=30)
        )
        assert both == {"+79161234567": [NOW + timedelta(minutes=1)]}
        assert uow.attempts.contacts_since([], NOW) == {}


def test_task_is_created_once_per_campaign_and_key(store: Store) -> None:
    with store.unit_of_work() as uow:
        campaign = uow.campaigns.ensure("confirm", NOW)
        first = uow.tasks.ensure(campaign.id, task(), NOW, next_due_at=NOW)
        again = uow.tasks.ensure(campaign.id, task(), NOW, next_due_at=NOW + timedelta(hours=1))
        assert first.id == again.id
        assert again.next_due_at == NOW
        assert uow.tasks.get(campaign.id, task().key) is first


def test_due_tasks_skip_paused_campaigns_future_and_finished_tasks(store: Store) -> None:
    with store.unit_of_work() as uow:
        running = uow.campaigns.ensure("confirm", NOW)
        uow.campaigns.ensure("survey", NOW)
        urgent = uow.tasks.ensure(running.id, task("a"), NOW, next_due_at=NOW, priority=5)
        normal = uow.tasks.ensure(running.id, task("b"), NOW, next_due_at=NOW - timedelta(hours=1))
        uow.tasks.ensure(running.id, task("c"), NOW, next_due_at=NOW + timedelta(minutes=1))
        done = uow.tasks.ensure(running.id, task("d"), NOW, next_due_at=NOW)
        uow.tasks.set_status(done.id, TaskStatus.DONE, NOW)
        paused_id = new_task(uow, "e", campaign="survey")
        uow.campaigns.set_state("survey", CampaignState.PAUSED)
        due = uow.tasks.due(NOW, limit=10)
        assert [row.id for row in due] == [urgent.id, normal.id]
        assert paused_id not in {row.id for row in due}
        assert [row.id for row in uow.tasks.due(NOW, limit=1)] == [urgent.id]
        with pytest.raises(LookupError):
            uow.campaigns.set_state("missing", CampaignState.PAUSED)
