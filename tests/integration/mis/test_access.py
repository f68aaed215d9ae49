"""Access on Linux, read through the real mdbtools: `mdb-export` and the MDBTools ODBC driver.

The .mdb files are written by our test-only Jet 4 writer (jet4.py): nothing here can create one.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dozvon.core.appointment import Appointment
from dozvon.mis.base import MisError, RowError
from dozvon.mis.config import load, open_connector
from dozvon.mis.source import Connector

from .conftest import WINDOW
from .jet4 import DATETIME, LONG, TEXT, Column, write_mdb
from .test_files import outcome

COLUMNS = [
    Column("ID", LONG),
    Column("FIO", TEXT),
    Column("TEL", TEXT),
    Column("DATA_PRIEMA", DATETIME),
    Column("VRACH", TEXT),
]
ROWS: list[list[Any]] = [
    [101, "Иванова Анна", "8 (916) 123-45-67", datetime(2026, 11, 27, 9, 30), "Петров П. П."],
    [102, "Без Телефона", None, datetime(2026, 11, 27, 10, 0), "Сидорова"],
    [103, "Послезавтра", "89161112255", datetime(2026, 11, 28, 9, 0), "Петров П. П."],
    [101, "Двойник", "89161112266", datetime(2026, 11, 27, 11, 0), "Петров П. П."],
    [104, "O'Brien; DROP TABLE Zapis; --", "+7 916 765-43-21", datetime(2026, 11, 27, 12, 0), ""],
]
FIELDS = {
    "external_id": "ID",
    "patient.name": "FIO",
    "patient.phones": "TEL",
    "start": "DATA_PRIEMA",
    "doctor.name": "VRACH",
}


@pytest.fixture
def mdb(tmp_path: Path) -> Path:
    return write_mdb(tmp_path / "clinic.mdb", "Zapis", COLUMNS, ROWS)


def open_access(source: dict[str, Any], results: dict[str, Any] | None = None) -> Connector:
    mapping = {"fields": FIELDS, "results": results or {}}
    return open_connector(load({"name": "access", "source": source, "mapping": mapping}))


async def split(conn: Connector) -> tuple[list[Appointment], list[RowError]]:
    items = [item async for item in conn.fetch(WINDOW)]
    return (
        [i for i in items if isinstance(i, Appointment)],
        [i for i in items if isinstance(i, RowError)],
    )


@pytest.mark.parametrize("kind", ["access", "odbc"])
async def test_worklist_from_an_mdb_file(mdb: Path, kind: str) -> None:
    if kind == "access":
        source: dict[str, Any] = {"kind": "access", "path": str(mdb), "table": "Zapis"}
    else:
        source = {
            "kind": "odbc",
            "connection_string": f"DRIVER={{MDBTools}};DBQ={mdb}",
            "table": "Zapis",
        }
    appts, errors = await split(open_access(source))
    assert [a.external_id for a in appts] == ["101", "104"]  # 103 is the day after
    assert appts[0].patient.name == "Иванова Анна" and appts[0].patient.phones == ("+79161234567",)
    assert appts[0].start.hour == 9 and appts[0].start.minute == 30
    assert appts[1].patient.name == "O'Brien; DROP TABLE Zapis; --"
    assert [(e.row, e.field) for e in errors] == [(2, "TEL"), (4, "ID")]


async def test_results_go_to_a_separate_file(mdb: Path, tmp_path: Path) -> None:
    before = mdb.read_bytes()
    results = tmp_path / "results.csv"
    source = {
        "kind": "access",
        "path": str(mdb),
        "table": "Zapis",
        "results": "separate",
        "results_path": str(results),
    }
    conn = open_access(source, {"fields": {"REZULTAT": "outcome_label", "POPYTKA": "attempt"}})
    await conn.write(outcome("101", 1))
    await conn.write(outcome("101", 1))
    assert results.read_text(encoding="utf-8-sig").splitlines() == [
        "ID;POPYTKA;REZULTAT",
        "101;1;Подтвердил",
    ]
    assert mdb.read_bytes() == before


async def test_missing_table_and_mdbtools_limits(mdb: Path) -> None:
    with pytest.raises(MisError, match="Nope"):
        await split(open_access({"kind": "access", "path": str(mdb), "table": "Nope"}))
    odbc = f"DRIVER={{MDBTools}};DBQ={mdb}"
    with_params = open_access(
        {
            "kind": "odbc",
            "connection_string": odbc,
            "select": "SELECT * FROM Zapis WHERE DATA_PRIEMA >= :window_start",
        }
    )
    with pytest.raises(MisError, match="SELECT"):  # MDBTools takes no parameters: use table:
        await split(with_params)
    read_only = open_access({"kind": "odbc", "connection_string": odbc, "table": "Zapis"})
    with pytest.raises(MisError, match="только для чтения"):
        await read_only.write(outcome("101", 1))
