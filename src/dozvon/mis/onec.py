"""1C:Enterprise through its standard OData interface (OData v3, Basic auth).

On Linux, OData is the way into 1C (COM is Windows-only; direct SQL against 1C's tables with
generated names is fragile and against its licence). Object names differ in every
configuration, so they come from the config and are checked against `$metadata` before the
first read: a typo is reported with the names that do exist.

Read: `GET <EntitySet>?$format=json&$filter=<date> ge datetime'…' and <date> lt datetime'…'`
(1C keeps local wall-clock time, so the literal is the window in the clinic's zone, without
an offset), `$orderby`, `$top`/`$skip` paging, optional `$expand`. Records are mapped through
JSONPath columns, or by their top-level field names when no columns are given.
Write: `PATCH <EntitySet>(guid'<Ref_Key>')?$format=json` with the mapping's result fields.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

from dozvon.mis.auth import SecretConfig
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import MisHttp, MisHttpError, Secrets
from dozvon.mis.interface import InterfaceConnector, scalar_problem
from dozvon.mis.jsonpaths import JsonColumns
from dozvon.mis.paging import OffsetPaging, PageRequest, pages
from dozvon.mis.source import RawRow
from dozvon.mis.xmlsafe import XmlProblem, parse_xml

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
NAME = re.compile(r"^[^\s'()/?#&=]+$")


class OneCConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["onec_odata"]
    base_url: str
    """…/<база>/odata/standard.odata/"""
    username: str
    password: SecretConfig
    entity: str
    """Entity set, e.g. `Document_ЗаписьНаПрием` or `InformationRegister_…`."""
    date_field: str = "Date"
    filter: str | None = None
    """More of the $filter, joined with `and`, e.g. `Posted eq true`."""
    select: list[str] = Field(default_factory=list)
    expand: list[str] = Field(default_factory=list)
    order_by: str = "Ref_Key"
    columns: dict[str, str] | None = None
    write_entity: str | None = None
    """Where results go (PATCH by Ref_Key); the read entity when unset."""
    check_metadata: bool = True
    page_size: int = Field(500, ge=1, le=5000)
    rate: float = Field(5.0, gt=0)
    timeout: float = 60.0


def odata_datetime(moment: datetime) -> str:
    return "datetime'" + moment.strftime("%Y-%m-%dT%H:%M:%S") + "'"


def odata_guid(value: str) -> str:
    if not GUID.match(value):
        raise ValueError(f"{value[:40]!r} не GUID")
    return f"guid'{value.lower()}'"


class OneCConnector(InterfaceConnector):
    Config = OneCConfig

    def __init__(self, config: OneCConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        for name in (config.entity, config.write_entity or config.entity, config.date_field):
            if not NAME.match(name):
                raise MisError(f"{mis.name}: недопустимое имя объекта 1С {name!r}")
        password = config.password.value()
        self.http = MisHttp(
            system=mis.name,
            base_url=config.base_url.rstrip("/") + "/",
            rate=config.rate,
            auth=httpx.BasicAuth(config.username, password),
            secrets=Secrets([password]),
            timeout=config.timeout,
            headers={"Accept": "application/json"},
        )
        self.columns = JsonColumns(config.columns) if config.columns else None
        if config.columns:
            self.offer(config.columns)
        self._checked = False

    async def metadata(self) -> dict[str, set[str]]:
        """Entity set → its property names, from `$metadata` (EDMX, parsed safely)."""
        data = await self.http.content("GET", "$metadata", headers={"Accept": "application/xml"})
        try:
            root = parse_xml(data)
        except XmlProblem as exc:
            raise self.http.error("GET", "$metadata", str(exc)) from None
        types: dict[str, set[str]] = {}
        for entity_type in root.xpath("//*[local-name()='EntityType']"):
            props = entity_type.xpath(
                "./*[local-name()='Property' or local-name()='NavigationProperty']/@Name"
            )
            types[str(entity_type.get("Name"))] = {str(p) for p in props}
        sets: dict[str, set[str]] = {}
        for entity_set in root.xpath("//*[local-name()='EntitySet']"):
            type_name = str(entity_set.get("EntityType", "")).rsplit(".", 1)[-1]
            sets[str(entity_set.get("Name"))] = types.get(type_name, set())
        return sets

    async def _check_names(self) -> None:
        if self._checked or not self.config.check_metadata:
            return
        sets = await self.metadata()
        for entity in {self.config.entity, self.config.write_entity or self.config.entity}:
            if entity not in sets:
                close = [s for s in sets if s.split("_", 1)[-1][:5] == entity.split("_", 1)[-1][:5]]
                raise MisError(
                    f"{self.name}: в $metadata нет набора {entity!r}; похожие: "
                    f"{', '.join(sorted(close)[:10]) or 'нет'} (включён ли объект в состав OData?)"
                )
        fields = sets[self.config.entity]
        wanted = {self.config.date_field, *self.config.select, *self.config.expand}
        missing = sorted(wanted - fields)
        if missing:
            raise MisError(f"{self.name}: у {self.config.entity} нет полей {', '.join(missing)}")
        self._checked = True

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        await self._check_names()
        field = self.config.date_field
        start = window.start.astimezone(self.mapper.zone)
        end = window.end.astimezone(self.mapper.zone)
        terms = [f"{field} ge {odata_datetime(start)}", f"{field} lt {odata_datetime(end)}"]
        if self.config.filter:
            terms.append(f"({self.config.filter})")
        params: dict[str, Any] = {
            "$format": "json",
            "$filter": " and ".join(terms),
            "$orderby": self.config.order_by,
        }
        if self.config.select:
            params["$select"] = ",".join(self.config.select)
        if self.config.expand:
            params["$expand"] = ",".join(self.config.expand)
        request = PageRequest("GET", self.config.entity, params=params)
        paging = OffsetPaging("$skip", "$top", self.config.page_size)
        async for _, records in pages(self.http, request, paging, self._values):
            yield [self._row(r) for r in records]

    def _values(self, body: Any, request: PageRequest) -> list[Any]:
        if isinstance(body, dict) and "odata.error" in body:
            raise self.http.error(request.method, request.url, _odata_message(body))
        values = body.get("value") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise self.http.error(request.method, request.url, "в ответе нет массива value")
        return values

    def _row(self, record: Any) -> RawRow:
        label = str(record.get("Ref_Key", "?")) if isinstance(record, dict) else "?"
        if self.columns is not None:
            row = self.columns.row(self.name, label, record)
            return row if not isinstance(row, dict) else (label, row)
        if not isinstance(record, dict):
            return RowError(self.name, label, None, f"запись не объект: {type(record).__name__}")
        flat: dict[str, Any] = {}
        for key, value in record.items():
            if scalar_problem(value) is None:
                flat[key] = value
        return label, flat

    async def write(self, record: OutcomeRecord) -> None:
        await self._check_names()
        try:
            key = odata_guid(record.appointment_id)
        except ValueError as exc:
            raise MisError(f"{self.name}: ключ записи 1С: {exc}") from None
        entity = self.config.write_entity or self.config.entity
        fields = {
            k: (v.strftime("%Y-%m-%dT%H:%M:%S") if hasattr(v, "strftime") else v)
            for k, v in self.mapper.result_fields(record).items()
        }
        url = f"{entity}({key})"
        try:
            await self.http.json("PATCH", url, params={"$format": "json"}, json=fields)
        except MisHttpError as exc:
            if isinstance(exc.body, dict) and "odata.error" in exc.body:
                raise self.http.error(
                    "PATCH",
                    url,
                    f"HTTP {exc.status}: {_odata_message(exc.body)}",
                    status=exc.status,
                ) from None
            raise


def _odata_message(body: dict[str, Any]) -> str:
    error = body.get("odata.error") or {}
    message = error.get("message") if isinstance(error, dict) else None
    text = message.get("value") if isinstance(message, dict) else message
    return "1С: " + " ".join(str(p) for p in (error.get("code"), text) if p)
