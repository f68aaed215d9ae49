"""Which MIS errors speak of one record (retry it alone) and which of the system (pause all)."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from dozvon.mis.errors import statement_failed
from dozvon.mis.http import MisHttpError


@pytest.mark.parametrize(
    ("status", "record_only"),
    [(400, True), (404, True), (409, True), (412, True), (422, True),
     (401, False), (403, False), (408, False), (429, False),
     (500, False), (503, False), (None, False)],
)  # fmt: skip
def test_http_status_decides_whether_the_record_or_the_system_is_at_fault(
    status: int | None, record_only: bool
) -> None:
    assert MisHttpError("crm: PATCH /leads/7", status=status).record_only is record_only


def _error_of(statement: str) -> DBAPIError:
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE visits (id INTEGER PRIMARY KEY, result TEXT NOT NULL)"))
        try:
            conn.execute(text(statement))
        except DBAPIError as exc:
            return exc
    raise AssertionError("the statement did not fail")


def test_a_constraint_refuses_the_record_a_lost_table_refuses_everything() -> None:
    constraint = _error_of("INSERT INTO visits (id, result) VALUES (1, NULL)")
    assert isinstance(constraint.orig, sqlite3.IntegrityError)
    assert statement_failed("mis", "write-back", "INSERT …", {}, constraint).record_only

    missing = _error_of("UPDATE no_such_table SET result = 'x'")
    assert isinstance(missing.orig, sqlite3.OperationalError)
    assert not statement_failed("mis", "write-back", "UPDATE …", {}, missing).record_only
