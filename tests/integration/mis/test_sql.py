"""The SQL connector against real MariaDB, PostgreSQL, embedded Firebird and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.mis.base import MisError, OutcomeRecord, RowError
from dozvon.mis.config import load, open_connector
from dozvon.mis.source import Connector

from .conftest import SELECT, UPDATE, WINDOW, Backend, FlakyProxy, make_database, mis_config


def connector(backend: Backend, **source: Any) -> Connector:
    src = {"kind": "sql", "url": backend.url, "select": SELECT, "writeback": UPDATE, **source}
    overrides = src.pop("mis", {})
    return open_connector(load(mis_config(src, **overrides)))


async def collect(conn: Connector) -> tuple[list[Appointment], list[RowError]]:
    appts: list[Appointment] = []
    errors: list[RowError] = []
    async for item in conn.fetch(WINDOW):
        (appts if isinstance(item, Appointment) else errors).append(item)  # type: ignore[arg-type]
    return appts, errors


def record(
    appointment_id: str, attempt: int, outcome: Outcome = Outcome.CONFIRMED
) -> OutcomeRecord:
    return OutcomeRecord(
        appointment_id=appointment_id,
        attempt=attempt,
        outcome=outcome,
        evidence=Evidence(talk_seconds=12.3),
        attempts_total=attempt,
        finished_at=datetime(2026, 11, 26, 15, 0, tzinfo=UTC),
    )


async def test_reads_the_window_and_reports_bad_rows(backend: Backend) -> None:
    appts, errors = await collect(connector(backend))
    assert [a.external_id for a in appts] == ["101", "102", "104", "105"]
    first = appts[0]
    assert first.patient.name == "Иванова Анна Петровна"
    assert first.patient.phones == ("+79161234567",)
    assert first.start.hour == 9 and str(first.start.tzinfo) == "Europe/Moscow"
    assert first.services == ("ЭКГ", "консультация")
    assert appts[1].patient.name == "O'Brien; DROP TABLE x; -- Ёж"
    assert appts[1].patient.phones == ("+79167654321", "+74951234567")
    assert appts[1].history is not None and appts[1].history.last_result == "no_answer"
    assert {(e.source, e.row, e.field) for e in errors} == {
        ("clinic", 3, "phone"),
        ("clinic", 6, "phone"),
    }


async def test_selection_all_lets_dozvon_decide(backend: Backend) -> None:
    appts, _ = await collect(connector(backend, mis={"selection": "all", "max_attempts": 5}))
    # 104 already confirmed, 105 reached the attempt cap: the MIS listed them, we skip them
    assert [a.external_id for a in appts] == ["101", "102"]


async def test_writeback_is_idempotent_by_attempt(backend: Backend) -> None:
    conn = connector(backend)
    await conn.write(record("101", 1))
    await conn.write(record("101", 1, Outcome.DECLINED))  # a replay must change nothing
    query = "SELECT call_result, call_attempts, call_updated_at FROM appointments WHERE id = 101"
    [(result, attempts, when)] = backend.rows(query)
    assert (result, attempts) == (2, 1)
    assert str(when).startswith("2026-11-26 18:00")  # clinic wall-clock time
    await conn.write(record("101", 2, Outcome.BUSY))
    assert backend.rows("SELECT call_result, call_attempts FROM appointments WHERE id = 101") == [
        (5, 2)
    ]


async def test_failed_statement_rolls_back_the_whole_write(backend: Backend) -> None:
    conn = connector(backend, writeback=[UPDATE, "INSERT INTO no_such_table (x) VALUES (:outcome)"])
    with pytest.raises(MisError) as info:
        await conn.write(record("102", 2))
    message = str(info.value)
    assert "no_such_table" in message and "'appointment_id': '102'" in message
    assert backend.rows("SELECT call_attempts FROM appointments WHERE id = 102") == [(1,)]


async def test_wrong_columns_are_one_clear_error(backend: Backend) -> None:
    conn = connector(
        backend, select="SELECT id, patient_name FROM appointments WHERE appt_at < :window_end"
    )
    appts, errors = await collect(conn)
    assert appts == [] and len(errors) == 1
    assert errors[0].row is None and "phone" in (errors[0].field or "")


async def test_bad_select_names_statement_and_params(backend: Backend) -> None:
    conn = connector(backend, select="SELECT * FROM appointmnts WHERE appt_at >= :window_start")
    with pytest.raises(MisError) as info:
        await collect(conn)
    assert "appointmnts" in str(info.value) and "window_start" in str(info.value)


async def test_check_runs_both_statements_and_changes_nothing(backend: Backend) -> None:
    before = backend.rows("SELECT id, call_result, call_attempts FROM appointments ORDER BY id")
    report = await connector(backend).check(WINDOW)
    assert any(line.startswith("чтение:") for line in report)
    assert any("отменена" in line for line in report)
    assert (
        backend.rows("SELECT id, call_result, call_attempts FROM appointments ORDER BY id")
        == before
    )


@pytest.mark.mariadb
async def test_password_is_masked_and_connection_loss_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = sa.create_engine("mysql+pymysql://root@127.0.0.1:3306/", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text("CREATE USER IF NOT EXISTS 'dozvon_mis'@'%' IDENTIFIED BY 'Sekr3t-pw'"))
        c.execute(sa.text("ALTER USER 'dozvon_mis'@'%' IDENTIFIED BY 'Sekr3t-pw'"))
    monkeypatch.setenv("MIS_PW", "Sekr3t-pw")
    proxy = FlakyProxy(("127.0.0.1", 3306), drop=2)
    try:
        src = {
            "kind": "sql",
            "url": f"mysql+pymysql://dozvon_mis@127.0.0.1:{proxy.port}/",
            "password_env": "MIS_PW",
            "select": "SELECT 1 AS id FROM no_such_db.t WHERE :window_start < :window_end",
            "retry_delay": 0.01,
        }
        conn = open_connector(load(mis_config(src)))
        with pytest.raises(MisError) as info:
            await collect(conn)
        assert proxy.accepted == 3  # two dropped connections, then the real one
        assert "no_such_db" in str(info.value) and "Sekr3t" not in str(info.value)

        refused = {**src, "url": "mysql+pymysql://dozvon_mis@127.0.0.1:1/", "retries": 2}
        with pytest.raises(MisError) as info:
            await collect(open_connector(load(mis_config(refused))))
        assert "Sekr3t" not in str(info.value) and "SELECT 1" in str(info.value)

        # a password substituted into the URL from ${secret:NAME} is masked just the same
        in_url = {**src, "url": f"mysql+pymysql://dozvon_mis:Sekr3t-pw@127.0.0.1:{proxy.port}/"}
        del in_url["password_env"]
        with pytest.raises(MisError) as info:
            await collect(open_connector(load(mis_config(in_url))))
        assert "no_such_db" in str(info.value) and "Sekr3t" not in str(info.value)
    finally:
        proxy.close()
        with admin.connect() as c:
            c.execute(sa.text("DROP USER IF EXISTS 'dozvon_mis'@'%'"))
        admin.dispose()


async def test_hostile_rows_in_a_typeless_database(tmp_path: Path) -> None:
    with make_database("sqlite", tmp_path) as db:
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO appointments (id, patient_name, phone, appt_at, call_attempts) "
                    "VALUES (108, 'Плохая дата', '89161234599', '2026-11-27 25:99', 0), "
                    "(101, 'Двойник', '89161234598', '2026-11-27 16:00:00', 0)"
                )
            )
        appts, errors = await collect(connector(db))
    assert [a.external_id for a in appts] == ["101", "102", "104", "105"]
    assert {(e.row, e.field) for e in errors} >= {(2, "id"), (8, "appt_at")}
    assert any("повтор" in e.message for e in errors)


@pytest.mark.mariadb
async def test_write_survives_a_dropped_connection(maria: Backend) -> None:
    proxy = FlakyProxy(("127.0.0.1", 3306), drop=2)
    try:
        url = maria.url.replace("127.0.0.1:3306", f"127.0.0.1:{proxy.port}")
        conn = connector(maria, url=url, retry_delay=0.01)
        await conn.write(record("104", 2, Outcome.DECLINED))
        assert proxy.accepted == 3
    finally:
        proxy.close()
    assert maria.rows("SELECT call_result, call_attempts FROM appointments WHERE id = 104") == [
        (3, 2)
    ]
