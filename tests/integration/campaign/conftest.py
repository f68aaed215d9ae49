"""MariaDB as the clinic's MIS: a worklist table and a results table in the `test` database,
with names unique to the test, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

MARIADB = "mysql+pymysql://root@127.0.0.1:{port}/test?charset=utf8mb4"
MOSCOW = ZoneInfo("Europe/Moscow")


@dataclass
class Clinic:
    """The MIS tables of one test and what the sync and write-back statements look like."""

    worklist: str
    results: str
    engine: sa.Engine

    def mis_config(self, port: int = 3306, **source: Any) -> dict[str, Any]:
        return {
            "name": "clinic",
            "source": {
                "kind": "sql",
                "url": MARIADB.format(port=port),
                "select": (
                    f"SELECT id, patient_name, phone, appt_at FROM {self.worklist} "  # noqa: S608
                    "WHERE appt_at >= :window_start AND appt_at < :window_end ORDER BY id"
                ),
                "writeback": [
                    # One row per (visit, attempt); a repeated write only bumps `writes`, so a
                    # test sees a duplicate and the clinic's data does not get one.
                    f"INSERT INTO {self.results} (appointment_id, attempt, outcome) "  # noqa: S608
                    "VALUES (:appointment_id, :attempt, :outcome_code) "
                    "ON DUPLICATE KEY UPDATE writes = writes + 1",
                    f"UPDATE {self.worklist} SET call_result = :outcome_code, "  # noqa: S608
                    "call_attempts = :attempt WHERE id = :appointment_id "
                    "AND call_attempts < :attempt",
                ],
                "retries": 1,
                **source,
            },
            "mapping": {
                "timezone": "Europe/Moscow",
                "fields": {
                    "external_id": "id",
                    "patient.name": "patient_name",
                    "patient.phones": "phone",
                    "start": "appt_at",
                    "branch.phone": {"const": "+7 495 555-00-00"},
                },
            },
        }

    def fill(self, visits: list[tuple[int, str, str, datetime]]) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                sa.text(
                    f"INSERT INTO {self.worklist} (id, patient_name, phone, appt_at) "  # noqa: S608
                    "VALUES (:id, :name, :phone, :at)"
                ),
                [
                    {
                        "id": i,
                        "name": n,
                        "phone": p,
                        "at": at.astimezone(MOSCOW).replace(tzinfo=None),
                    }
                    for i, n, p, at in visits
                ],
            )

    def results_rows(self) -> dict[tuple[str, int], tuple[str, int]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.text(f"SELECT appointment_id, attempt, outcome, writes FROM {self.results}")  # noqa: S608
            )
            return {(str(r[0]), int(r[1])): (str(r[2]), int(r[3])) for r in rows}


@pytest.fixture
def clinic() -> Iterator[Clinic]:
    suffix = uuid.uuid4().hex[:10]
    worklist, results = f"dozvon_worklist_{suffix}", f"dozvon_results_{suffix}"
    engine = sa.create_engine(MARIADB.format(port=3306))
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                f"CREATE TABLE {worklist} (id INTEGER PRIMARY KEY, patient_name VARCHAR(200), "
                "phone VARCHAR(100), appt_at DATETIME, call_result VARCHAR(40), "
                "call_attempts INTEGER NOT NULL DEFAULT 0)"
            )
        )
        conn.execute(
            sa.text(
                f"CREATE TABLE {results} (appointment_id VARCHAR(64), attempt INTEGER, "
                "outcome VARCHAR(40), writes INTEGER NOT NULL DEFAULT 1, "
                "PRIMARY KEY (appointment_id, attempt))"
            )
        )
    try:
        yield Clinic(worklist, results, engine)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP TABLE IF EXISTS {worklist}, {results}"))
        engine.dispose()


def tomorrow_moscow(hour: int, minute: int = 0) -> datetime:
    today = datetime.now(UTC).astimezone(MOSCOW).date()
    day = today + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW)


def worklist(count: int) -> list[tuple[int, str, str, datetime]]:
    """`count` visits tomorrow; every fifth shares its phone with the one before (a family)."""
    visits = []
    for i in range(1, count + 1):
        phone_no = i - 1 if i % 5 == 0 else i
        visits.append(
            (i, f"Пациент {i}", f"8 916 {phone_no:07d}", tomorrow_moscow(8 + i % 10, i % 60))
        )
    return visits
