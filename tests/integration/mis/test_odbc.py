"""The ODBC connector through unixODBC and the real Debian drivers: PostgreSQL, MariaDB, SQLite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Outcome
from dozvon.mis.base import MisError, RowError
from dozvon.mis.config import load, open_connector
from dozvon.mis.odbc import qmark
from dozvon.mis.source import Connector

from .conftest import SELECT, UPDATE, WINDOW, Backend, mis_config
from .test_sql import collect, record


def connector(db: Backend, **source: Any) -> Connector:
    src: dict[str, Any] = {
        "kind": "odbc",
        "connection_string": db.odbc,
        "select": SELECT,
        "writeback": UPDATE,
        "window": "text" if db.name == "sqlite" else "local",
        **source,
    }
    return open_connector(load(mis_config(src)))


async def test_reads_writes_and_checks_through_odbc(odbc_backend: Backend) -> None:
    conn = connector(odbc_backend)
    appts, errors = await collect(conn)
    assert [a.external_id for a in appts] == ["101", "102", "104", "105"]
    assert appts[1].patient.name == "O'Brien; DROP TABLE x; -- Ёж"
    assert appts[0].start.hour == 9
    assert {(e.row, e.field) for e in errors} == {(3, "phone"), (6, "phone")}

    await conn.write(record("102", 2, Outcome.DECLINED))
    await conn.write(record("102", 2, Outcome.CONFIRMED))  # replay: no change
    assert odbc_backend.rows(
        "SELECT call_result, call_attempts FROM appointments WHERE id = 102"
    ) == [(3, 2)]

    before = odbc_backend.rows(
        "SELECT id, call_result, call_attempts FROM appointments ORDER BY id"
    )
    report = await conn.check(WINDOW)
    assert any("отменена" in line for line in report)
    assert (
        odbc_backend.rows("SELECT id, call_result, call_attempts FROM appointments ORDER BY id")
        == before
    )


async def test_failed_second_statement_leaves_nothing_written(odbc_backend: Backend) -> None:
    conn = connector(odbc_backend, writeback=[UPDATE, "INSERT INTO nowhere (x) VALUES (:outcome)"])
    with pytest.raises(MisError, match="nowhere"):
        await conn.write(record("101", 1))
    assert odbc_backend.rows("SELECT call_attempts FROM appointments WHERE id = 101") == [(0,)]


async def test_dsn_from_a_private_odbc_ini(
    odbc_backend: Backend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = [p.split("=", 1) for p in odbc_backend.odbc.split(";") if p]
    body = "\n".join(f"{k}={v.strip('{}')}" for k, v in pairs)
    (tmp_path / "odbc.ini").write_text(f"[clinic_dsn]\n{body}\n", encoding="utf-8")
    monkeypatch.setenv("ODBCINI", str(tmp_path / "odbc.ini"))
    conn = connector(odbc_backend, connection_string=None, dsn="clinic_dsn")
    appts, _ = await collect(conn)
    assert len(appts) == 4


async def test_wrong_columns_and_bad_sql(odbc_backend: Backend) -> None:
    wrong = connector(odbc_backend, select="SELECT id FROM appointments")
    _, errors = await collect(wrong)
    assert len(errors) == 1 and errors[0].row is None and "phone" in (errors[0].field or "")
    with pytest.raises(MisError, match="appointmnts"):
        await collect(connector(odbc_backend, select="SELECT * FROM appointmnts"))


async def test_table_dump_mode_filters_the_window_in_python(odbc_backend: Backend) -> None:
    conn = connector(odbc_backend, select=None, table="appointments", writeback=None)
    items = [i async for i in conn.fetch(WINDOW)]
    ids = sorted(i.external_id for i in items if isinstance(i, Appointment))
    assert ids == ["101", "102", "104", "105"]  # 106 is the day after
    assert sum(isinstance(i, RowError) for i in items) == 2
    with pytest.raises(MisError, match="только для чтения"):
        await conn.write(record("101", 1))


async def test_unreachable_server_is_a_masked_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODBC_PW", "Very$ecret")
    src = {
        "kind": "odbc",
        "connection_string": "DRIVER={MariaDB Unicode};SERVER=127.0.0.1;PORT=1;UID=x",
        "password_env": "ODBC_PW",
        "select": SELECT,
        "retries": 2,
        "retry_delay": 0.01,
    }
    with pytest.raises(MisError) as info:
        await collect(open_connector(load(mis_config(src))))
    assert "Very$ecret" not in str(info.value) and "window_start" in str(info.value)
    inline = {**src, "connection_string": src["connection_string"] + ";PWD={Very$ecret}"}
    del inline["password_env"]
    with pytest.raises(MisError) as info:
        await collect(open_connector(load(mis_config(inline))))
    assert "Very$ecret" not in str(info.value)


def test_named_parameters_become_question_marks() -> None:
    sql, names = qmark("UPDATE t SET a = :outcome WHERE id = :appointment_id AND n < :attempt")
    assert sql == "UPDATE t SET a = ? WHERE id = ? AND n < ?"
    assert names == ("outcome", "appointment_id", "attempt")
