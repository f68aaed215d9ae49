"""A small clinic day in a real SQLite store, built through the store's own repositories,
and settings with three users (one per role) for the web tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dozvon.campaign.clock import ManualClock
from dozvon.campaign.state import enqueue
from dozvon.config import Settings
from dozvon.core.appointment import Appointment, Patient
from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.task import Task, TaskStatus, task_key
from dozvon.store import Store, upgrade
from dozvon.web.passwords import hash_password

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
TODAY = NOW.date()
VISIT_DAY = TODAY + timedelta(days=1)
SESSION_SECRET = "test-session-secret-" + "s" * 30
PASSWORDS = {"admin": "admin-password", "operator": "operator-password", "viewer": "viewer-pass"}
CAMPAIGNS = ("confirm-tomorrow", "lab-results")
PATIENTS = [
    ("+79161234567", "Мария Петровна Иванова", [Outcome.NO_ANSWER, Outcome.CONFIRMED]),
    ("+79031112233", "Иван Сергеевич Смирнов", [Outcome.DECLINED]),
    ("+79264445566", "Ольга Николаевна Кузнецова", [None]),
    ("+79161119900", "Анна Викторовна Орлова", []),
    ("+79857778899", "Пётр Ильич Соколов", []),  # yesterday's visit: no longer queued
]


@dataclass(frozen=True, slots=True)
class Seeded:
    task_ids: list[int]


def settings_for(database: Path, **web: Any) -> Settings:
    """Cheap scrypt cost (n=2**10) keeps the suite fast; production uses the default."""
    users = [
        {"name": name, "password_hash": hash_password(password, n=2**10), "role": name}
        for name, password in PASSWORDS.items()
    ]
    return Settings.model_validate(
        {
            "database": {"url": f"sqlite:///{database}"},
            "campaigns": [{"name": name, "scenario": "confirm"} for name in CAMPAIGNS],
            "web": {"session_secret": SESSION_SECRET, "users": users, **web},
        }
    )


def make_store(database: Path) -> Store:
    store = Store(f"sqlite:///{database}")
    upgrade(store.engine)
    return store


def seed(store: Store, clock: ManualClock) -> Seeded:
    """Four people for tomorrow's visits (confirmed on the second try, declined, a call in
    progress, one still waiting), a task left pending from yesterday, and one outcome the MIS
    refused."""
    task_ids = []
    with store.unit_of_work() as uow:
        campaign = uow.campaigns.ensure(CAMPAIGNS[0], NOW)
        uow.campaigns.ensure(CAMPAIGNS[1], NOW)
        for index, (phone, name, outcomes) in enumerate(PATIENTS):
            visit = Appointment(
                external_id=f"V{index + 1}",
                source="testmis",
                patient=Patient(name=name, phones=(phone,)),
                start=NOW + timedelta(days=1, hours=index),
            )
            uow.appointments.upsert(visit, None, NOW)
            visit_day = VISIT_DAY if index < 4 else TODAY - timedelta(days=1)
            task = Task(task_key(phone, visit_day), (phone,), visit_day, "Europe/Moscow", (visit,))
            uow.appointments.set_task_key("testmis", visit.external_id, task.key)
            row = uow.tasks.ensure(campaign.id, task, NOW, NOW)
            task_ids.append(row.id)
            for number, outcome in enumerate(outcomes):
                started = NOW - timedelta(hours=2) + timedelta(minutes=10 * (index + number))
                uow.attempts.start(row.id, Channel.VOICE, phone, started)
                if outcome is None:
                    continue
                attempt = uow.attempts.finish(
                    row.id,
                    number + 1,
                    outcome,
                    Evidence(sip_status=200),
                    started + timedelta(seconds=40),
                )
                enqueue(uow, "testmis", visit.external_id, attempt)
            if outcomes and outcomes[-1] is not None:
                uow.tasks.set_status(row.id, TaskStatus.DONE, NOW)
        uow.commit()
    with store.unit_of_work() as uow:
        refused = uow.outbox.claim(NOW, 1, timedelta(minutes=1))[0]
        uow.outbox.mark_failed(refused.id, "МИС ответила 500 / MIS said 500", None)
        uow.commit()
    return Seeded(task_ids)
