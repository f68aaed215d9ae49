"""Any database SQLAlchemy can reach: the admin writes the SELECT and the write-back statement.

Dozvon never assembles SQL. The admin's text runs through `sqlalchemy.text()` with `:named`
parameters: the window as a computed range (`:window_start`, `:window_end`, `:window_date`) and,
for the write-back, every outbound value (`:appointment_id`, `:attempt`, `:outcome`, ...).

The write-back must be idempotent by (appointment id, attempt): the campaign may retry a write
whose acknowledgement was lost. Either guard the UPDATE (`... WHERE id = :appointment_id AND
call_attempts < :attempt`) or insert into a results table with a unique key on (appointment,
attempt) and ignore the conflict. docs/integrations/sql.md has examples for every backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator
from sqlalchemy import Connection, CursorResult, Engine, create_engine, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DBAPIError

from dozvon.core.appointment import Appointment
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig, StatementSource
from dozvon.mis.errors import mask_secrets, statement_failed, with_retries
from dozvon.mis.inbound import BATCH, RowBatch
from dozvon.mis.source import (
    RawRow,
    RowConnector,
    Table,
    WindowStyle,
    check_record,
    window_values,
)
from dozvon.mis.tunnel.ssh import SshConfig, SshTunnel


class SqlConfig(StatementSource):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["sql"] = "sql"
    url: str
    """An SQLAlchemy URL. Its password comes from the settings' `${secret:NAME}` reference, or
    from password_env / password_file; either way it is masked in every message."""
    select: str
    window: WindowStyle = "local"
    connect_args: dict[str, Any] = Field(default_factory=dict)
    ssh: SshConfig | None = None

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        try:
            make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"url не разобран: {mask_secrets(str(exc))}") from None
        return value



def _lost_connection(exc: BaseException) -> bool:
    """A connection that broke or never opened is worth retrying; a bad statement is not."""
    return isinstance(exc, DBAPIError) and (exc.connection_invalidated or exc.statement is None)


class SqlConnector(RowConnector):
    Config = SqlConfig

    def __init__(self, config: SqlConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        url = make_url(config.url)
        secret = config.password()
        self._url: URL = url if secret is None else url.set(password=secret)
        self._password = self._url.password
        self._engine: Engine | None = None
        self._tunnel = SshTunnel(config.ssh) if config.ssh else None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(
                self._url, pool_pre_ping=True, connect_args=self.config.connect_args
            )
        return self._engine

    async def _ready(self) -> None:
        """Open the SSH tunnel first, if any, and point the URL at its local end."""
        if self._tunnel is not None and not self._tunnel.is_open:
            host, port = await self._tunnel.open(
                self._url.host or "127.0.0.1", self._url.port, self._url.get_backend_name()
            )
            self._url = self._url.set(host=host, port=port)

    async def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]:
        await self._ready()
        async for item in super().fetch(window):
            yield item

    async def write(self, record: OutcomeRecord) -> None:
        await self._ready()
        await super().write(record)

    async def check(self, window: Window) -> list[str]:
        await self._ready()
        return await super().check(window)

    async def aclose(self) -> None:
        await super().aclose()
        if self._engine is not None:
            self._engine.dispose()
        if self._tunnel is not None:
            await self._tunnel.close()

    def _fail(
        self, what: str, statement: str, params: dict[str, object], exc: BaseException
    ) -> MisError:
        return statement_failed(self.name, what, statement, params, exc, [self._password])

    def _retrying(self, action: Any, what: str) -> Any:
        return with_retries(
            action,
            transient=_lost_connection,
            attempts=self.config.retries,
            delay=self.config.retry_delay,
            what=f"{self.name}: {what}",
        )

    # -- read ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        params = window_values(window, self.mapper.zone, self.config.window)
        select = text(self.config.select)

        def start() -> tuple[Connection, CursorResult[Any]]:
            conn = self.engine.connect().execution_options(stream_results=True, yield_per=BATCH)
            try:
                return conn, conn.execute(select, params)
            except BaseException:
                conn.close()
                raise

        try:
            conn, result = self._retrying(start, "выборка")
        except DBAPIError as exc:
            raise self._fail("SELECT", self.config.select, params, exc) from None
        try:
            yield Table(self._rows(result, params), list(result.keys()))
        finally:
            with contextlib.suppress(DBAPIError):
                result.close()  # drains an unbuffered (server-side) cursor cleanly
            conn.close()

    def _rows(self, result: CursorResult[Any], params: dict[str, object]) -> Iterator[RawRow]:
        """The result in batches of positional rows, numbered from 1."""
        number = 1
        try:
            for part in result.partitions(BATCH):
                yield RowBatch(range(number, number + len(part)), part)
                number += len(part)
        except DBAPIError as exc:
            raise self._fail("SELECT (чтение строк)", self.config.select, params, exc) from None

    # -- write ---------------------------------------------------------------------------------

    def write_sync(self, record: OutcomeRecord) -> None:
        statements = self.config.statements
        if not statements:
            raise MisError(f"{self.name}: запись результатов не настроена (source.writeback)")
        params = self.mapper.outbound(record)
        current = [statements[0]]

        def transaction() -> None:
            with self.engine.begin() as conn:
                for statement in statements:
                    current[0] = statement
                    conn.execute(text(statement), params)

        try:
            self._retrying(transaction, "запись результата")
        except DBAPIError as exc:
            raise self._fail("запрос записи", current[0], params, exc) from None

    # -- check ---------------------------------------------------------------------------------

    def check_sync(self, window: Window) -> list[str]:
        """Connect, run the SELECT (first rows only), run the write-back and roll it back.

        Rolling back is the one check every backend accepts for UPDATE, INSERT and procedure
        calls alike (EXPLAIN knows no CALL, and PREPARE differs per server). It writes nothing
        on transactional tables; on MyISAM tables or a procedure that commits by itself it
        would, which is why the check writes for appointment id "-1", which matches no visit.
        """
        report = [f"соединение: {self.engine.url.render_as_string(hide_password=True)}"]
        report += self.check_read(window)
        statements = self.config.statements
        if not statements:
            return [*report, "запись результатов: не настроена"]
        params = self.mapper.outbound(check_record())
        with self.engine.connect() as conn:
            transaction = conn.begin()
            try:
                for statement in statements:
                    try:
                        result = conn.execute(text(statement), params)
                    except DBAPIError as exc:
                        raise self._fail("запрос записи", statement, params, exc) from None
                    report.append(f"запись: выполнена и отменена (строк: {result.rowcount})")
            finally:
                transaction.rollback()
        return report
