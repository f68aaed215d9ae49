"""Builds the demo clinic's own MIS: SQLite with a realistic schema and tomorrow's visits.

The schema is deliberately the clinic's, not ours (Russian-ish column names, separate tables for
doctors and services), so the demo exercises the same SQL mapping a real clinic would write.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from random import Random

from dozvon.core.phone import normalize_phone
from dozvon.demo.behaviours import MIX, Behaviour
from dozvon.demo.names import random_name

SCHEMA = """
CREATE TABLE branches (id INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL,
                       phone TEXT NOT NULL);
CREATE TABLE specialties (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE doctors (id INTEGER PRIMARY KEY, fio TEXT NOT NULL,
                      specialty_id INTEGER NOT NULL REFERENCES specialties(id));
CREATE TABLE services (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE patients (id INTEGER PRIMARY KEY, fio TEXT NOT NULL, phone TEXT NOT NULL,
                       birth_date TEXT);
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id),
    doctor_id INTEGER NOT NULL REFERENCES doctors(id),
    branch_id INTEGER NOT NULL REFERENCES branches(id),
    visit_at TEXT NOT NULL,          -- local clinic time, 'YYYY-MM-DD HH:MM'
    state TEXT NOT NULL DEFAULT 'записан',   -- 'записан' | 'отменён'
    call_result TEXT,                -- written by the robot
    call_attempts INTEGER NOT NULL DEFAULT 0,
    call_talk_seconds REAL,
    call_result_at TEXT,
    call_attempt_no INTEGER NOT NULL DEFAULT 0  -- the last attempt written: keeps writes idempotent
);
CREATE TABLE visit_services (visit_id INTEGER NOT NULL REFERENCES visits(id),
                             service_id INTEGER NOT NULL REFERENCES services(id));
"""

BRANCHES = (
    ("Клиника «Здоровье» на Садовой", "ул. Садовая, дом 12", "+7 495 123-45-67"),
    ("Клиника «Здоровье» на Лесной", "ул. Лесная, дом 5, корпус 2", "+7 495 765-43-21"),
)
SPECIALTIES = ("терапевт", "кардиолог", "невролог", "офтальмолог", "оториноларинголог",
               "врач ультразвуковой диагностики", "акушер-гинеколог", "эндокринолог")
SERVICES = ("первичный приём", "повторный приём", "ЭКГ", "УЗИ брюшной полости",
            "анализ крови общий", "осмотр глазного дна", "консультация")


@dataclass(frozen=True, slots=True)
class DemoClinic:
    mis_path: Path
    behaviours_path: Path
    day: date
    patients: int
    visits: int


def _demo_phone(index: int) -> str:
    """A valid-looking mobile number reserved for demo patient `index`."""
    return normalize_phone(f"+7 999 200 {index // 100:02d} {index % 100:02d}")


def build_demo_clinic(
    folder: Path, day: date, patients: int = 51, seed: int = 2026
) -> DemoClinic:
    """(Re)create the demo MIS in `folder` with visits on `day`, and the virtual patients' roles."""
    rng = Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    mis_path = folder / "mis.sqlite"
    mis_path.unlink(missing_ok=True)
    roles = _interleaved_roles()
    behaviours: dict[str, dict[str, str]] = {}
    with sqlite3.connect(mis_path) as db:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO branches(name, address, phone) VALUES (?, ?, ?)", BRANCHES)
        db.executemany("INSERT INTO specialties(name) VALUES (?)", [(s,) for s in SPECIALTIES])
        db.executemany("INSERT INTO services(name) VALUES (?)", [(s,) for s in SERVICES])
        db.executemany("INSERT INTO doctors(fio, specialty_id) VALUES (?, ?)",
                       [(random_name(rng).full, n) for n in range(1, len(SPECIALTIES) + 1)])
        visits = 0
        for index in range(1, patients + 1):
            name = random_name(rng)
            phone = _demo_phone(index)
            shown_phone = f"8 ({phone[2:5]}) {phone[5:8]}-{phone[8:10]}-{phone[10:]}"
            birth = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
            db.execute("INSERT INTO patients(id, fio, phone, birth_date) VALUES (?, ?, ?, ?)",
                       (index, name.full, shown_phone, birth.isoformat()))
            role = roles[(index - 1) % len(roles)]
            behaviours[phone] = {"behaviour": role.value,
                                 "dtmf": "inband" if index % 5 == 0 else "rfc4733"}
            # Every seventh patient has two visits tomorrow: one call should cover both.
            for _ in range(2 if index % 7 == 0 else 1):
                visits += 1
                slot = time(8 + rng.randrange(11), rng.choice((0, 15, 30, 45)))
                db.execute(
                    "INSERT INTO visits(patient_id, doctor_id, branch_id, visit_at) "
                    "VALUES (?, ?, ?, ?)",
                    (index, rng.randrange(1, len(SPECIALTIES) + 1), rng.randrange(1, 3),
                     datetime.combine(day, slot).strftime("%Y-%m-%d %H:%M")),
                )
                db.execute("INSERT INTO visit_services(visit_id, service_id) VALUES (?, ?)",
                           (visits, rng.randrange(1, len(SERVICES) + 1)))
        visits += _add_special_cases(db, rng, day, patients, behaviours)
    behaviours_path = folder / "patients.json"
    behaviours_path.write_text(json.dumps(behaviours, ensure_ascii=False, indent=1), "utf-8")
    return DemoClinic(mis_path, behaviours_path, day, patients + 2, visits)


def _interleaved_roles() -> list[Behaviour]:
    """Every behaviour early in the list, so even a small demo shows each of them."""
    left = dict(MIX)
    roles: list[Behaviour] = []
    while any(left.values()):
        for behaviour, _ in MIX:
            if left[behaviour]:
                roles.append(behaviour)
                left[behaviour] -= 1
    return roles


def _add_special_cases(
    db: sqlite3.Connection, rng: Random, day: date, patients: int,
    behaviours: dict[str, dict[str, str]],
) -> int:
    """A number that is not in service, and a visit cancelled in the MIS before the calls."""
    dead_id, cancelled_id = patients + 1, patients + 2
    dead_phone = _demo_phone(dead_id)
    behaviours[dead_phone] = {"behaviour": Behaviour.NOT_IN_SERVICE.value, "dtmf": "rfc4733"}
    db.execute("INSERT INTO patients(id, fio, phone) VALUES (?, ?, ?)",
               (dead_id, random_name(rng).full, dead_phone))
    cancelled_phone = _demo_phone(cancelled_id)
    behaviours[cancelled_phone] = {"behaviour": Behaviour.CONFIRM.value, "dtmf": "rfc4733"}
    db.execute("INSERT INTO patients(id, fio, phone) VALUES (?, ?, ?)",
               (cancelled_id, random_name(rng).full, cancelled_phone))
    for patient_id, state in ((dead_id, "записан"), (cancelled_id, "отменён")):
        db.execute(
            "INSERT INTO visits(patient_id, doctor_id, branch_id, visit_at, state) "
            "VALUES (?, 1, 1, ?, ?)",
            (patient_id, f"{day.isoformat()} 11:00", state),
        )
    return 2
