"""MySQL behind an HTTP tunnel script: Navicat's `ntunnel_mysql.php` or our `dozvon_tunnel.php`.

The protocol has no bind parameters, so values are quoted exactly as the pymysql driver quotes
them (`pymysql.converters.escape_item`), after SQLAlchemy's compiler has found the `:named`
markers. Backslash escaping is only safe while NO_BACKSLASH_ESCAPES is off, so every request
first switches it off for its own session.

Each HTTP request is a new MySQL connection: a transaction lives inside one request. Our
script stops at the first failing statement, so a write-back is never committed half-done;
Navicat's script carries on, so with it use a single write-back statement (or a procedure).
Prefer an SSH tunnel where the clinic can allow one: it keeps real parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, Literal

import httpx
import pymysql.converters
from pydantic import ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.dialects.mysql import pymysql as mysql_dialect

from dozvon.mis.base import MisError, OutcomeRecord, Window
from dozvon.mis.config import MisConfig, SecretRef, StatementSource
from dozvon.mis.errors import mask_secrets, statement_failed, with_retries
from dozvon.mis.source import RowConnector, Table, WindowStyle, check_record, window_values
from dozvon.mis.tunnel.ntunnel import (
    Result,
    TunnelProtocolError,
    parse_connect,
    parse_query,
    request_form,
)

SAFE_ESCAPING = "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')"
CHARSET = "utf8mb4"
_LOST = frozenset({2002, 2003, 2006, 2013})
"""MySQL client errors for a server that is down or went away: worth another try."""


class HttpTunnelConfig(StatementSource):
    """password_env / password_file hold the MySQL password; token_env the script's secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["http_tunnel"] = "http_tunnel"
    url: str
    login: str
    database: str = ""
    host: str = "127.0.0.1"
    """The MySQL host as the script sees it (our script ignores it and uses its own)."""
    port: int = 3306
    token_env: str | None = None
    select: str
    window: WindowStyle = "local"
    timeout: float = Field(60, gt=0)
    verify_tls: bool = True



@cache
def _compiled(statement: str) -> tuple[str, tuple[str, ...]]:
    compiled = text(statement).compile(dialect=mysql_dialect.dialect())
    return str(compiled), tuple(compiled.positiontup or ())


def inline(statement: str, params: Mapping[str, object]) -> str:
    """The statement with each `:name` replaced by the driver-quoted literal of its value."""
    sql, names = _compiled(statement)
    return sql % tuple(pymysql.converters.escape_item(params[n], CHARSET) for n in names)


class TunnelFailure(Exception):
    """One statement in a tunnel request failed; carries the MySQL error number."""

    def __init__(self, statement: str, result: Result) -> None:
        super().__init__(f"MySQL {result.errno}: {result.error}")
        self.statement = statement
        self.errno = result.errno


def _lost(exc: BaseException) -> bool:
    if isinstance(exc, TunnelFailure):
        return exc.errno in _LOST
    return isinstance(exc, httpx.TransportError) or (
        isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500
    )


class HttpTunnelConnector(RowConnector):
    Config = HttpTunnelConfig

    def __init__(self, config: HttpTunnelConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        self._password = config.password() or ""
        self._token = (
            SecretRef(password_env=config.token_env).password() if config.token_env else None
        )
        headers = {"X-Tunnel-Token": self._token} if self._token else {}
        self._http = httpx.Client(timeout=config.timeout, verify=config.verify_tls, headers=headers)

    def _credentials(self) -> dict[str, str]:
        cfg = self.config
        return {
            "host": cfg.host,
            "port": str(cfg.port),
            "login": cfg.login,
            "password": self._password,
            "db": cfg.database,
        }

    def _post(self, action: str, statements: list[str]) -> bytes:
        response = self._http.post(
            self.config.url, data=request_form(action, statements, self._credentials())
        )
        if response.status_code == 403:
            raise MisError(f"{self.name}: туннель отказал (403): неверный токен")
        response.raise_for_status()
        return response.content

    def run(self, statements: list[str]) -> list[Result]:
        """Run statements in one request (one MySQL session); a failing one raises."""
        batch = [SAFE_ESCAPING, *statements]
        results = parse_query(self._post("Q", batch))
        if results and results[0].connect:
            raise TunnelFailure("", results[0])
        for statement, result in zip(batch, results, strict=False):
            if result.errno:
                raise TunnelFailure(statement, result)
        if len(results) < len(batch):
            raise TunnelProtocolError(f"туннель вернул {len(results)} результатов из {len(batch)}")
        return results[1:]

    def _guarded(self, what: str, statement: str, params: Mapping[str, object], action: Any) -> Any:
        try:
            return with_retries(
                action,
                transient=_lost,
                attempts=self.config.retries,
                delay=self.config.retry_delay,
                what=f"{self.name}: {what}",
            )
        except TunnelFailure as exc:
            shown = exc.statement if exc.statement == SAFE_ESCAPING else statement
            raise self._fail(what, shown, params, exc) from None
        except (httpx.HTTPError, TunnelProtocolError) as exc:
            raise self._fail(what, statement, params, exc) from None

    def _fail(
        self, what: str, statement: str, params: Mapping[str, object], exc: BaseException
    ) -> MisError:
        error = statement_failed(
            self.name, what, statement, dict(params), exc, [self._password, self._token]
        )
        return MisError(mask_secrets(f"{error}\n  туннель: {self.config.url}", [self._token]))

    @contextlib.contextmanager
    def read(self, window: Window) -> Iterator[Table]:
        params = window_values(window, self.mapper.zone, self.config.window)
        statement = inline(self.config.select, params)
        [result] = self._guarded(
            "SELECT", self.config.select, params, lambda: self.run([statement])
        )
        columns = [c.name for c in result.columns]
        yield Table(enumerate(result.rows, 1), columns)

    def _writes(self, params: Mapping[str, object], finish: str) -> list[str]:
        return ["START TRANSACTION", *(inline(s, params) for s in self.config.statements), finish]

    def write_sync(self, record: OutcomeRecord) -> None:
        if not self.config.statements:
            raise MisError(f"{self.name}: запись результатов не настроена (source.writeback)")
        params = self.mapper.outbound(record)
        batch = self._writes(params, "COMMIT")
        self._guarded(
            "запрос записи", "; ".join(self.config.statements), params, lambda: self.run(batch)
        )

    def check_sync(self, window: Window) -> list[str]:
        """Server info, the first rows, then the write-back inside a transaction rolled back."""
        try:
            errno, info = parse_connect(self._post("C", []))
        except (httpx.HTTPError, TunnelProtocolError) as exc:
            raise MisError(
                mask_secrets(f"{self.name}: туннель {self.config.url}: {exc}", [self._password])
            ) from None
        if errno:
            raise MisError(f"{self.name}: MySQL {errno}: {info['error']}")
        report = [
            f"туннель: версия {info['tunnel_version']}, MySQL {info['server_version']}",
            *self.check_read(window),
        ]
        if not self.config.statements:
            return [*report, "запись результатов: не настроена"]
        params = self.mapper.outbound(check_record())
        results = self._guarded(
            "запрос записи",
            "; ".join(self.config.statements),
            params,
            lambda: self.run(self._writes(params, "ROLLBACK")),
        )
        counts = [r.affected for r in results[1:-1]]
        return [*report, f"запись: выполнена и отменена (строк: {counts})"]

    async def aclose(self) -> None:
        await super().aclose()
        self._http.close()
