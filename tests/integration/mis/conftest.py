"""Real databases for the MIS connectors: MariaDB, PostgreSQL, embedded Firebird and SQLite.

Each test session gets its own database (MariaDB, PostgreSQL) or file (SQLite, Firebird), filled
with the same small clinic worklist, so one test runs unchanged against every backend.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from firebird.driver import create_database

from dozvon.mis.base import Window

ZONE = ZoneInfo("Europe/Moscow")
DAY = datetime(2026, 11, 27, tzinfo=ZONE)
WINDOW = Window(DAY, DAY + timedelta(days=1))

# id, name, phone, local start, doctor, services, last result, attempts
WORKLIST: list[tuple[Any, ...]] = [
    (
        101,
        "Иванова Анна Петровна",
        "8 (916) 123-45-67",
        DAY.replace(hour=9),
        "Петров П. П.",
        "ЭКГ; консультация",
        None,
        0,
    ),
    (
        102,
        "O'Brien; DROP TABLE x; -- Ёж",
        "+7 916 765-43-21, 8-495-123-45-67",
        DAY.replace(hour=10, minute=30),
        "Сидорова",
        "УЗИ",
        6,
        1,
    ),
    (103, "Без Телефона", "", DAY.replace(hour=11), "Петров П. П.", "", None, 0),
    (104, "Уже Подтвердил", "89161112233", DAY.replace(hour=12), "Петров П. П.", "", 2, 1),
    (105, "Много Попыток", "89161112244", DAY.replace(hour=13), "Петров П. П.", "", 5, 5),
    (
        106,
        "Послезавтра",
        "89161112255",
        DAY.replace(hour=9) + timedelta(days=1),
        "Петров П. П.",
        "",
        None,
        0,
    ),
    (107, "Плохой Номер", "12-34", DAY.replace(hour=15), "Петров П. П.", "", None, 0),
]

SELECT = (
    "SELECT id, patient_name, phone, appt_at, doctor_name, services, call_result, call_attempts "
    "FROM appointments WHERE appt_at >= :window_start AND appt_at < :window_end ORDER BY id"
)
UPDATE = (
    "UPDATE appointments SET call_result = :outcome, call_attempts = :attempt, "
    "call_updated_at = :finished_at WHERE id = :appointment_id AND call_attempts < :attempt"
)
MAPPING: dict[str, Any] = {
    "timezone": "Europe/Moscow",
    "fields": {
        "external_id": "id",
        "patient.name": "patient_name",
        "patient.phones": "phone",
        "start": "appt_at",
        "doctor.name": "doctor_name",
        "services": "services",
        "history.last_result": "call_result",
        "history.attempts": "call_attempts",
    },
    "results": {"outcomes": {"confirmed": 2, "declined": 3, "busy": 5, "no_answer": 6, "*": 9}},
}


@dataclass
class Backend:
    name: str
    url: str
    engine: sa.Engine
    odbc: str = ""
    """A DSN-less ODBC connection string to the same database (no Firebird driver in Debian)."""

    def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]


def _fill(engine: sa.Engine, datetime_type: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "CREATE TABLE appointments (id INTEGER, patient_name VARCHAR(200), "
                "phone VARCHAR(100), "
                f"appt_at {datetime_type}, doctor_name VARCHAR(200), services VARCHAR(200), "
                f"call_result INTEGER, call_attempts INTEGER, call_updated_at {datetime_type})"
            )
        )
    with engine.begin() as conn:  # Firebird sees new tables only after the DDL commits
        conn.execute(
            sa.text(
                "INSERT INTO appointments (id, patient_name, phone, appt_at, doctor_name, "
                "services, call_result, call_attempts) VALUES (:id, :n, :p, :at, :d, :s, :r, :a)"
            ),
            [
                {
                    "id": i,
                    "n": n,
                    "p": p,
                    "at": at.replace(tzinfo=None),
                    "d": d,
                    "s": s,
                    "r": r,
                    "a": a,
                }
                for i, n, p, at, d, s, r, a in WORKLIST
            ],
        )


def _server_db(
    admin_url: str,
    name: str,
    url: str,
    datetime_type: str,
    kind: str,
    force: str = "",
    odbc: str = "",
) -> Iterator[Backend]:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine = sa.create_engine(url)
    _fill(engine, datetime_type)
    try:
        yield Backend(kind, url, engine, odbc)
    finally:
        engine.dispose()
        with admin.connect() as conn:  # connectors under test may still hold pooled sessions
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}{force}"))
        admin.dispose()


@contextlib.contextmanager
def make_database(kind: str, tmp_path: Path) -> Iterator[Backend]:
    name = f"dozvon_mis_{os.getpid()}"
    if kind == "sqlite":
        path = tmp_path / "mis.sqlite"
        engine = sa.create_engine(f"sqlite:///{path}")
        _fill(engine, "TIMESTAMP")
        yield Backend(kind, f"sqlite:///{path}", engine, f"DRIVER={{SQLite3}};Database={path}")
        engine.dispose()
    elif kind == "firebird":
        path = tmp_path / "mis.fdb"
        create_database(str(path), user="SYSDBA", charset="UTF8").close()
        url = f"firebird+firebird://SYSDBA@/{path}?charset=UTF8"
        engine = sa.create_engine(url)
        _fill(engine, "TIMESTAMP")
        yield Backend(kind, url, engine)
        engine.dispose()
    elif kind == "mariadb":
        yield from _server_db(
            "mysql+pymysql://root@127.0.0.1:3306/",
            name,
            f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4",
            "DATETIME",
            kind,
            odbc="DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=3306;"
            f"DATABASE={name};UID=root;CHARSET=utf8mb4",
        )
    else:
        yield from _server_db(
            "postgresql+psycopg://postgres@127.0.0.1:5432/test",
            name,
            f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}",
            "TIMESTAMP",
            kind,
            force=" WITH (FORCE)",
            odbc="DRIVER={PostgreSQL Unicode};SERVER=127.0.0.1;PORT=5432;"
            f"DATABASE={name};UID=postgres",
        )


MARIADB = pytest.param("mariadb", marks=pytest.mark.mariadb)
POSTGRES = pytest.param("postgres", marks=pytest.mark.postgres)


@pytest.fixture(params=["sqlite", "firebird", MARIADB, POSTGRES])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh copy of the worklist in one real database per test."""
    with make_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture(params=["sqlite", MARIADB, POSTGRES])
def odbc_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The same, for the databases Debian ships an ODBC driver for."""
    with make_database(request.param, tmp_path) as db:
        yield db


@pytest.fixture
def maria(tmp_path: Path) -> Iterator[Backend]:
    """MariaDB only: for the tunnels, which are MySQL-specific."""
    with make_database("mariadb", tmp_path) as db:
        yield db


def mis_config(source: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {"name": "clinic", "source": source, "mapping": MAPPING, **overrides}


class FlakyProxy:
    """A TCP proxy that drops the first `drop` connections: a real connection loss, repeatable."""

    def __init__(self, target: tuple[str, int], drop: int) -> None:
        self.target = target
        self.drop = drop
        self.accepted = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            self.accepted += 1
            if self.accepted <= self.drop:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.server.close()
