"""An XML gateway (as the MIS «Ариадна» offers), described in the config because its format is
not public: a request template, XPath to the records and to each column, a result template.

Transport is either HTTP POST (request in, answer out) or a pair of folders: the MIS drops
worklist files into `inbox`, we drop one result file per (appointment, attempt) into `outbox`
(written atomically: temp file, then rename; the same name again just replaces it, so a
repeated write changes nothing). Every document is parsed by dozvon.mis.xmlsafe: DTDs and
entities are refused, so XXE and entity bombs cannot reach us.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dozvon.mis.auth import AuthConfig, NoAuthConfig, build_auth
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.files.common import replace_atomically
from dozvon.mis.http import MisHttp, Secrets
from dozvon.mis.interface import InterfaceConnector
from dozvon.mis.source import RawRow
from dozvon.mis.templates import render_xml, window_values
from dozvon.mis.xmlsafe import XmlProblem, parse_xml

SAFE_NAME = re.compile(r"[^\w.-]+")


class HttpTransport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["http"]
    url: str
    auth: AuthConfig = Field(default_factory=NoAuthConfig)
    content_type: str = "application/xml; charset=utf-8"
    rate: float = Field(5.0, gt=0)
    timeout: float = 60.0


class FolderTransport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: Literal["folder"]
    inbox: Path
    outbox: Path
    pattern: str = "*.xml"


Transport = Annotated[HttpTransport | FolderTransport, Field(discriminator="type")]


def _xpath(expression: str, namespaces: Mapping[str, str] | None = None) -> etree.XPath:
    try:
        return etree.XPath(expression, namespaces=dict(namespaces or {}))
    except etree.XPathSyntaxError as exc:
        raise ValueError(f"неверный XPath {expression!r}: {exc}") from None


class XmlGatewayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["xml_gateway"]
    transport: Transport
    request: str | None = None
    """XML sent to read the worklist (HTTP only); `{start_date}`, `{end_ru}`... are XML-escaped."""
    date_format: str | None = None
    namespaces: dict[str, str] = Field(default_factory=dict)
    records: str
    """XPath to the record elements, e.g. `//rnumb`."""
    columns: dict[str, str]
    """Mapping column → XPath relative to one record, e.g. `string(@id)` or `patient/phone`."""
    error: str | None = None
    """XPath that yields the gateway's error text when there is one, e.g. `string(/*/error)`."""
    result: str | None = None
    """XML template for one outcome; the mapping's outbound values are XML-escaped into it."""

    @field_validator("records", "error")
    @classmethod
    def _valid(cls, value: str | None) -> str | None:
        if value is not None:
            _xpath(value)
        return value

    @field_validator("columns")
    @classmethod
    def _valid_columns(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value.values():
            _xpath(path)
        return value


def xpath_text(found: Any) -> str | None:
    """An XPath result as the mapping wants it: text, or several texts joined by "; "."""
    if isinstance(found, list):
        texts = [t for t in (xpath_text(item) for item in found) if t]
        return "; ".join(texts) or None
    if isinstance(found, etree._Element):
        return "".join(found.itertext()).strip() or None
    if isinstance(found, bool):
        return "1" if found else "0"
    if isinstance(found, float):
        return str(int(found)) if found.is_integer() else str(found)
    text = str(found).strip()
    return text or None


class XmlGatewayConnector(InterfaceConnector):
    Config = XmlGatewayConfig

    def __init__(self, config: XmlGatewayConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        ns = config.namespaces
        self.records = _xpath(config.records, ns)
        self.columns = {name: _xpath(path, ns) for name, path in config.columns.items()}
        self.offer(config.columns)
        self.error_path = _xpath(config.error, ns) if config.error else None
        transport = config.transport
        self.http: MisHttp | None = None
        if isinstance(transport, HttpTransport):
            if config.request is None:
                raise MisError(f"{mis.name}: для HTTP нужен шаблон запроса (request)")
            secrets = Secrets()
            self.http = MisHttp(
                system=mis.name,
                base_url="",
                rate=transport.rate,
                auth=build_auth(transport.auth, mis.name, secrets),
                secrets=secrets,
                timeout=transport.timeout,
                headers={"Content-Type": transport.content_type, "Accept": "application/xml"},
            )

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        transport = self.config.transport
        if isinstance(transport, HttpTransport):
            values = window_values(window, self.mapper.zone, self.config.date_format)
            body = render_xml(self.config.request or "", values).encode("utf-8")
            root = await self._exchange(transport.url, body)
            yield self._rows(root, "")
            return
        if not transport.inbox.is_dir():
            raise MisError(f"{self.name}: папка выгрузки МИС {transport.inbox} не найдена")
        files = sorted(transport.inbox.glob(transport.pattern))
        for path in files:
            try:
                root = parse_xml(await asyncio.to_thread(path.read_bytes))
            except (OSError, XmlProblem) as exc:
                yield [RowError(self.name, path.name, None, f"файл не прочитан: {exc}")]
                continue
            yield self._rows(root, path.name + ", ")

    async def _exchange(self, url: str, body: bytes) -> etree._Element:
        assert self.http is not None
        answer = await self.http.content("POST", url, content=body)
        try:
            root = parse_xml(answer)
        except XmlProblem as exc:
            raise self.http.error("POST", url, str(exc)) from None
        if self.error_path is not None:
            problem = xpath_text(self.error_path(root))
            if problem:
                raise self.http.error("POST", url, f"шлюз ответил ошибкой: {problem[:300]}")
        return root

    def _rows(self, root: etree._Element, where: str) -> list[RawRow]:
        found = self.records(root)
        if not isinstance(found, list):
            return [RowError(self.name, where or None, None, "XPath records дал не список узлов")]
        rows: list[RawRow] = []
        for n, element in enumerate(found, start=1):
            label = f"{where}запись {n}"
            if not isinstance(element, etree._Element):
                rows.append(RowError(self.name, label, None, "XPath records указал не на элемент"))
                continue
            try:
                row = {name: xpath_text(path(element)) for name, path in self.columns.items()}
            except etree.XPathEvalError as exc:
                rows.append(RowError(self.name, label, None, f"XPath не вычислен: {exc}"))
                continue
            rows.append((label, row))
        return rows

    async def write(self, record: OutcomeRecord) -> None:
        if self.config.result is None:
            raise MisError(f"{self.name}: шаблон результата (result) не задан")
        values = self.mapper.outbound(record)
        document = render_xml(self.config.result, values).encode("utf-8")
        try:
            parse_xml(document)
        except XmlProblem as exc:
            raise MisError(f"{self.name}: шаблон результата даёт неверный XML: {exc}") from None
        transport = self.config.transport
        if isinstance(transport, HttpTransport):
            await self._exchange(transport.url, document)
            return
        name = SAFE_NAME.sub("_", f"result-{record.appointment_id}-{record.attempt}") + ".xml"
        transport.outbox.mkdir(parents=True, exist_ok=True)

        def put(temp: Path) -> None:
            temp.write_bytes(document)

        await asyncio.to_thread(replace_atomically, transport.outbox / name, put, self.name)
