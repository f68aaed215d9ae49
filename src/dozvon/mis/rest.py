"""Any REST API, described in the config instead of code.

Read: a URL template with the date window (`{start_date}`, `{end_unix}`, ...), optional query
parameters and a JSON body, paging by offset, page number, cursor or next link, the records
found by a JSONPath (`items`), and each column of the mapping found by a JSONPath into one
record (dozvon.mis.jsonpaths). Write: POST, PUT or PATCH to a URL template with a JSON body
template (dozvon.mis.templates) filled from the mapping's outbound values. Every write carries
`Idempotency-Key: dozvon-<appointment>-<attempt>`, so a server that honours the header (the
IETF draft many APIs follow) ignores a repeated POST; PUT and PATCH are idempotent anyway.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dozvon.mis.auth import AuthConfig, NoAuthConfig, build_auth
from dozvon.mis.base import MisError, OutcomeRecord, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import MisHttp, Secrets
from dozvon.mis.interface import InterfaceConnector
from dozvon.mis.jsonpaths import JsonColumns, compile_path, first
from dozvon.mis.mapping import OUTBOUND_VALUES
from dozvon.mis.paging import (
    CursorPaging,
    NextLinkPaging,
    NoPaging,
    OffsetPaging,
    PageRequest,
    Paging,
    pages,
)
from dozvon.mis.source import RawRow
from dozvon.mis.templates import render_json, render_url, template_names, window_values

_ANY_DAY = datetime(2000, 1, 1, tzinfo=UTC)
WINDOW_NAMES = frozenset(window_values(Window(_ANY_DAY, _ANY_DAY), UTC, "%Y"))
"""What read templates may use: every spelling of the window that `window_values` offers."""


class NoPagingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["none"] = "none"


class OffsetPagingConfig(BaseModel):
    """`offset` counts records, `page` counts pages; a short page ends the read."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["offset", "page"]
    param: str
    size_param: str | None = None
    size: int = Field(100, ge=1, le=10_000)
    start: int = 0
    into: Literal["params", "json"] = "params"


class CursorPagingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["cursor"]
    param: str
    cursor: str
    """JSONPath to the next cursor in the answer; empty or missing ends the read."""
    into: Literal["params", "json"] = "params"


class NextLinkPagingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["next_link"]
    next: str
    """JSONPath to the next page's URL in the answer."""


PagingConfig = Annotated[
    NoPagingConfig | OffsetPagingConfig | CursorPagingConfig | NextLinkPagingConfig,
    Field(discriminator="type"),
]


class ReadConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "POST"] = "GET"
    url: str
    params: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    date_format: str | None = None
    """strftime for `{start_fmt}`/`{end_fmt}` when the API wants its own date spelling."""
    items: str = "$[*]"
    """JSONPath to the list of records in one answer."""
    columns: dict[str, str]
    """Mapping column → JSONPath inside one record."""
    paging: PagingConfig = Field(default_factory=NoPagingConfig)

    @field_validator("items")
    @classmethod
    def _path(cls, value: str) -> str:
        compile_path(value)
        return value


class WriteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["POST", "PUT", "PATCH"] = "PATCH"
    url: str
    body: Any
    ok: list[int] = Field(default_factory=lambda: [200, 201, 202, 204])


class RestConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["rest"]
    base_url: str
    auth: AuthConfig = Field(default_factory=NoAuthConfig)
    headers: dict[str, str] = Field(default_factory=dict)
    read: ReadConfig
    write: WriteConfig | None = None
    rate: float = Field(5.0, gt=0)
    burst: int = Field(1, ge=1)
    timeout: float = 30.0
    verify_tls: bool = True


def build_paging(config: PagingConfig) -> Paging:
    if isinstance(config, OffsetPagingConfig):
        return OffsetPaging(
            config.param,
            config.size_param,
            config.size,
            config.start,
            unit="page" if config.type == "page" else "item",
            where=config.into,
        )
    if isinstance(config, CursorPagingConfig):
        path = compile_path(config.cursor)
        return CursorPaging(config.param, lambda body: first(path, body), where=config.into)
    if isinstance(config, NextLinkPagingConfig):
        link = compile_path(config.next)
        return NextLinkPaging(lambda body: first(link, body))
    return NoPaging()


class RestConnector(InterfaceConnector):
    Config = RestConfig

    def __init__(self, config: RestConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        secrets = Secrets()
        self.http = MisHttp(
            system=mis.name,
            base_url=config.base_url,
            rate=config.rate,
            burst=config.burst,
            auth=build_auth(config.auth, mis.name, secrets),
            secrets=secrets,
            timeout=config.timeout,
            headers={"Accept": "application/json", **config.headers},
            verify=config.verify_tls,
        )
        self.columns = JsonColumns(config.read.columns)
        self.offer(config.read.columns)
        self.items_path = compile_path(config.read.items)
        items = config.read.items
        self.items_parent = compile_path(items[:-3]) if items.endswith("[*]") else None
        self.paging = build_paging(config.read.paging)
        read = config.read
        self._check("read", template_names([read.url, read.params, read.body]), WINDOW_NAMES)
        if config.write is not None:
            offered = OUTBOUND_VALUES | set(mis.mapping.results.fields)
            self._check("write", template_names([config.write.url, config.write.body]), offered)

    def _check(self, part: str, used: set[str], offered: frozenset[str] | set[str]) -> None:
        unknown = used - offered
        if unknown:
            raise MisError(
                f"{self.name}: в шаблонах {part} неизвестные поля {', '.join(sorted(unknown))}; "
                f"доступны: {', '.join(sorted(offered))}"
            )

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        read = self.config.read
        values = window_values(window, self.mapper.zone, read.date_format)
        request = PageRequest(
            read.method,
            render_url(read.url, values),
            params={k: render_json(v, values) for k, v in read.params.items()},
            json=render_json(read.body, values) if read.body is not None else None,
        )
        offset = 0
        async for _, records in pages(self.http, request, self.paging, self._items):
            rows: list[RawRow] = []
            for n, record in enumerate(records, start=offset + 1):
                label = f"запись {n}"
                row = self.columns.row(self.name, label, record)
                rows.append(row if not isinstance(row, dict) else (label, row))
            offset += len(records)
            yield rows

    def _items(self, body: Any, request: PageRequest) -> list[Any]:
        found = self.items_path.findall(body)
        if len(found) == 1 and isinstance(found[0], list):
            return list(found[0])
        if found:
            return list(found)
        container = self.items_parent.findall(body) if self.items_parent else []
        if container and isinstance(container[0], list):
            return []  # `{"data": []}`: an empty page, not a wrong answer
        keys = sorted(body)[:8] if isinstance(body, dict) else "—"
        raise self.http.error(
            request.method,
            request.url,
            f"в ответе нет записей по пути {self.config.read.items}: "
            f"пришёл {type(body).__name__} с ключами {keys}",
        )

    async def write(self, record: OutcomeRecord) -> None:
        write = self.config.write
        if write is None:
            raise MisError(f"{self.name}: запись результата не настроена (write)")
        values = self.mapper.outbound(record)
        await self.http.json(
            write.method,
            render_url(write.url, values),
            json=render_json(write.body, values),
            headers={"Idempotency-Key": f"dozvon-{record.appointment_id}-{record.attempt}"},
            ok=write.ok,
        )
