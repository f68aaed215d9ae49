"""Any ODBC data source (a DSN or a driver connection string) through pyodbc and unixODBC.

Statements are written with `:named` parameters, as for the SQL connector; SQLAlchemy's own
compiler turns them into the `?` markers ODBC wants, so no value ever becomes SQL text.

Some drivers cannot take parameters at all. MDBTools (Access on Linux) fails with
`SQLNumParams`, supports no JOIN and compares dates wrongly, so for such a source set `table`
instead of `select`: Dozvon reads the whole table and keeps the visits in the window itself.
MDBTools cannot write, so an Access source is read-only.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal

import pyodbc
from pydantic import ConfigDict, Field, model_validator
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from dozvon.mis.base import MisError, OutcomeRecord, Window
from dozvon.mis.config import MisConfig, StatementSource
from dozvon.mis.errors import statement_failed, with_retries
from dozvon.mis.inbound import BATCH, RowBatch
from dozvon.mis.source import (
    RawRow,
    RowConnector,
    Table,
    WindowStyle,
    check_record,
    window_values,
)

_TABLE_NAME = re.compile(r"^\w+$")
_PWD = re.compile(r"(?:^|;)\s*(PWD|PASSWORD)\s*=\s*\{?([^;}]*)", re.IGNORECASE)


class OdbcConfig(StatementSource):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["odbc"] = "odbc"
    dsn: str | None = None
    connection_string: str | None = None
    """`DRIVER={MariaDB Unicode};SERVER=...;CHARSET=utf8mb4`; PWD via `${secret:NAME}` or
    password_env, and masked in every message."""
    select: str | None = None
    table: str | None = None
    """Read this whole table and filter the window in Python (drivers without parameters)."""
    window: WindowStyle | Literal["text"] = "local"
    """"text" binds ISO strings, for drivers that keep dates as text (SQLite ODBC)."""
    timeout: int = Field(10, ge=1)

    @model_validator(mode="after")
    def _check(self) -> OdbcConfig:
        if (self.dsn is None) == (self.connection_string is None):
            raise ValueError("укажите ровно одно: dsn или connection_string")
        if (self.select is None) == (self.table is None):
            raise ValueError("укажите ровно одно: select или table")
        if self.table is not None and not _TABLE_NAME.fullmatch(self.table):
            raise ValueError(f"table: недопустимое имя таблицы {self.table!r}")
        return self



@cache
def qmark(statement: str) -> tuple[str, tuple[str, ...]]:
    """`:name` → `?` plus the order of names, using SQLAlchemy's compiler rather than a regex."""
    compiled = text(statement).compile(dialect=sqlite.dialect(paramstyle="qmark"))
    return str(compiled), tuple(compiled.positiontup or ())


def _lost_connection(exc: BaseException) -> bool:
    """SQLSTATE class 08 is a connection exception; HYT00/HYT01 are timeouts."""
    state = str(exc.args[0]) if isinstance(exc, pyodbc.Error) and exc.args else ""
    return state.startswith(("08", "HYT"))


class OdbcConnector(RowConnector):
    Config = OdbcConfig

    def __init__(self, config: OdbcConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        self._password = config.password()
        inline_password = _PWD.search(config.connection_string or "")
        self._secrets = [self._password, inline_password.group(2) if inline_password else None]
        self.filters_window = config.table is not None

    def _connection_string(self) -> str:
        base = f"DSN={self.config.dsn}" if self.config.dsn else str(self.config.connection_string)
        if self._password is not None:
            base += ";PWD={" + self._password.replace("}", "}}") + "}"
        return base

    def _connect(self) -> pyodbc.Connection:
        return pyodbc.connect(
            self._connection_string(), autocommit=False, timeout=self.config.timeout
        )

    def _params(self, window: Window) -> dict[str, object]:
        style = self.config.window
        if style == "text":
            values = window_values(window, self.mapper.zone, "local")
            return {k: str(v) for k, v in values.items()}
        return window_values(window, self.mapper.zone, style)

    def _fail(self, what: str, statement: str, params: Any, exc: BaseException) -> MisError:
        return statement_failed(self.name, what, statement, params, exc, self._secrets)

    def _retrying(self, action: Any, what: str) -> Any:
        return with_retries(
            action,
            transient=_lost_connection,
            attempts=self.config.retries,
            delay=self.config.retry_delay,
            what=f"{self.name}: {what}",
        )

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        if self.config.table is not None:
            # the name was validated as one bare identifier: MDBTools parses no quoting
            statement = f"SELECT * FROM {self.config.table}"  # noqa: S608
            names: tuple[str, ...] = ()
            shown: dict[str, object] = {}
        else:
            statement, names = qmark(str(self.config.select))
            shown = self._params(window)
        values = [shown[n] for n in names]

        def start() -> tuple[pyodbc.Connection, pyodbc.Cursor]:
            conn = self._connect()
            try:
                return conn, conn.cursor().execute(statement, *values)
            except BaseException:
                conn.close()
                raise

        try:
            conn, cursor = self._retrying(start, "выборка")
        except pyodbc.Error as exc:
            raise self._fail("SELECT", self.config.select or statement, shown, exc) from None
        try:
            columns = [d[0] for d in cursor.description or ()]
            yield Table(self._rows(cursor, columns, shown), columns)
        finally:
            conn.close()

    def _rows(
        self, cursor: pyodbc.Cursor, columns: list[str], shown: dict[str, object]
    ) -> Iterator[RawRow]:
        number = 0
        try:
            while True:
                batch = cursor.fetchmany(BATCH)
                if batch:
                    yield RowBatch(range(number + 1, number + 1 + len(batch)), batch)
                    number += len(batch)
                if len(batch) < BATCH:  # the end: MDBTools would start over if asked again
                    break
        except pyodbc.Error as exc:
            raise self._fail(
                "SELECT (чтение строк)", self.config.select or "", shown, exc
            ) from None

    def _run_statements(
        self, conn: pyodbc.Connection, params: dict[str, object], current: list[str]
    ) -> list[int]:
        cursor = conn.cursor()
        counts = []
        for statement in self.config.statements:
            current[0] = statement
            sql, names = qmark(statement)
            cursor.execute(sql, *[params[n] for n in names])
            counts.append(cursor.rowcount)
        return counts

    def write_sync(self, record: OutcomeRecord) -> None:
        if not self.config.statements:
            raise MisError(
                f"{self.name}: запись результатов не настроена (источник только для чтения)"
            )
        params = self.mapper.outbound(record)
        current = [self.config.statements[0]]

        def transaction() -> None:
            conn = self._connect()
            try:
                self._run_statements(conn, params, current)
                conn.commit()
            except BaseException:
                with contextlib.suppress(pyodbc.Error):
                    conn.rollback()
                raise
            finally:
                conn.close()

        try:
            self._retrying(transaction, "запись результата")
        except pyodbc.Error as exc:
            raise self._fail("запрос записи", current[0], params, exc) from None

    def check_sync(self, window: Window) -> list[str]:
        """Read the first rows, then run the write-back in a transaction and roll it back."""
        report = self.check_read(window)
        if not self.config.statements:
            return [*report, "запись результатов: не настроена (источник только для чтения)"]
        params = self.mapper.outbound(check_record())
        current = [self.config.statements[0]]
        conn = self._connect()
        try:
            counts = self._run_statements(conn, params, current)
        except pyodbc.Error as exc:
            raise self._fail("запрос записи", current[0], params, exc) from None
        finally:
            conn.rollback()
            conn.close()
        return [*report, f"запись: выполнена и отменена (строк: {counts})"]
