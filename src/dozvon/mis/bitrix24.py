"""Bitrix24 through an inbound webhook: CRM items (deals or smart processes) in, results back.

Read: `crm.item.list` with a date filter on the field that holds the visit time, 50 items a
page (`start` = the answer's `next`), then the contacts' phones with one `crm.contact.list`
per page (`@ID` filter). The row a mapping sees is the item's own fields (camelCase, as the
API returns them) plus `contact.name` and `contact.phones`.

Write: the mapping's result fields go into `crm.item.update`, an optional comment into
`crm.timeline.comment.add`; many records travel in `batch` calls of at most 50 commands.
The comment carries a marker `[dozvon <id>#<attempt>]`, and a record whose marker is already
in the item's timeline gets no second comment, so a repeated write changes nothing.

Limits (cloud): 2 requests/s with a burst of up to 50 (leaky bucket); past it the portal
answers HTTP 503 `QUERY_LIMIT_EXCEEDED`, which we wait out and retry. Other error bodies
(`{"error": ..., "error_description": ...}`) become a `MisError` with both texts.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field

from dozvon.mis.auth import SecretConfig
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import HttpRetry, MisHttp, MisHttpError, Secrets
from dozvon.mis.interface import InterfaceConnector, scalar_problem
from dozvon.mis.paging import CursorPaging, PageRequest, pages
from dozvon.mis.source import RawRow
from dozvon.mis.values import SafeTemplate

PAGE = 50
BATCH_LIMIT = 50
WEBHOOK = re.compile(r"^(https?://[^/]+(?:/[^/]+)*?/rest/)(\d+)/([^/]+)/?$")
TRANSIENT_ERRORS = frozenset({"QUERY_LIMIT_EXCEEDED"})
ENTITY_TYPES = {1: "lead", 2: "deal", 3: "contact", 4: "company"}


class Bitrix24Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["bitrix24"]
    webhook: SecretConfig
    """The inbound webhook URL `https://portal/rest/<user>/<secret>/`: a secret as a whole."""
    entity_type_id: int = Field(2, ge=1)
    """2 = deals, 1 = leads, 128 and up = a smart process."""
    date_field: str
    """The item field with the visit's date and time, e.g. `ufCrm5VisitAt` or `begindate`."""
    filter: dict[str, Any] = Field(default_factory=dict)
    """More `crm.item.list` filter terms, e.g. `{"=stageId": "C1:NEW"}`."""
    select: list[str] = Field(default_factory=lambda: ["*", "uf*"])
    contacts: bool = True
    comment: str | None = None
    """Timeline comment template, e.g. "Робот: {outcome_label}"; none when unset."""
    rate: float = Field(2.0, gt=0)
    burst: int = Field(1, ge=1, le=50)
    timeout: float = 30.0


def php_query(params: Mapping[str, Any]) -> str:
    """PHP's http_build_query: what `batch` expects inside each command string."""
    pairs: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}[{key}]", inner)
        elif isinstance(value, list | tuple):
            for index, inner in enumerate(value):
                walk(f"{prefix}[{index}]", inner)
        else:
            pairs.append((prefix, "" if value is None else str(value)))

    for key, value in params.items():
        walk(key, value)
    return "&".join(f"{quote(k, safe='[]')}={quote(v, safe='')}" for k, v in pairs)


def _transient(response: httpx.Response) -> bool:
    if response.status_code in (502, 504):
        return True
    if response.status_code != 503:
        return False
    try:
        body = response.json()
    except ValueError:
        return True
    return not isinstance(body, dict) or body.get("error") in TRANSIENT_ERRORS


class Bitrix24Connector(InterfaceConnector):
    Config = Bitrix24Config

    def __init__(self, config: Bitrix24Config, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        webhook = config.webhook.value().strip()
        match = WEBHOOK.match(webhook)
        if match is None:
            raise MisError(
                f"{mis.name}: webhook Bitrix24 должен быть вида https://портал/rest/<id>/<ключ>/"
            )
        secrets = Secrets([match.group(3)])
        self.http = MisHttp(
            system=mis.name,
            base_url=webhook.rstrip("/") + "/",
            rate=config.rate,
            burst=config.burst,
            secrets=secrets,
            timeout=config.timeout,
            transient=_transient,
            retry=HttpRetry(attempts=5, base_delay=1.0),
        )
        self.comment = SafeTemplate(config.comment) if config.comment else None
        self.entity_name = ENTITY_TYPES.get(config.entity_type_id)
        self.timeline_type = self.entity_name or f"dynamic_{config.entity_type_id}"

    async def call(self, method: str, params: Mapping[str, Any]) -> Any:
        """One REST method; an error body becomes a `MisError` with its code and description."""
        try:
            body = await self.http.json("POST", method, json=params)
        except MisHttpError as exc:
            if isinstance(exc.body, dict) and "error" in exc.body:
                raise self._failed(method, exc.body, exc.status) from None
            raise
        if not isinstance(body, dict):
            raise self.http.error("POST", method, f"ответ не объект JSON: {type(body).__name__}")
        if "error" in body:
            raise self._failed(method, body, 200)
        if "result" not in body:
            raise self.http.error("POST", method, "в ответе нет result")
        return body

    def _failed(self, method: str, body: Mapping[str, Any], status: int | None) -> MisHttpError:
        code, text = body.get("error"), body.get("error_description") or ""
        return self.http.error(
            "POST", method, f"Bitrix24: {code}: {text} (HTTP {status})", status=status, body=body
        )

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        field = self.config.date_field
        request = PageRequest(
            "POST",
            "crm.item.list",
            json={
                "entityTypeId": self.config.entity_type_id,
                "select": self.config.select,
                "filter": {
                    **self.config.filter,
                    f">={field}": window.start.isoformat(),
                    f"<{field}": window.end.isoformat(),
                },
                "order": {"id": "ASC"},
            },
        )
        paging = CursorPaging("start", lambda body: body.get("next"), where="json")
        async for _, items in pages(self.http, request, paging, self._items):
            phones = await self._contacts(items) if self.config.contacts else {}
            yield [self._row(item, phones) for item in items]

    def _items(self, body: Any, request: PageRequest) -> list[Any]:
        if isinstance(body, dict) and "error" in body:
            raise self._failed(request.url, body, 200)
        result = body.get("result") if isinstance(body, dict) else None
        items = result.get("items") if isinstance(result, dict) else None
        if not isinstance(items, list):
            raise self.http.error(request.method, request.url, "в ответе нет result.items")
        return items

    async def _contacts(self, items: Sequence[Any]) -> dict[str, dict[str, str]]:
        ids = sorted(
            {str(i["contactId"]) for i in items if isinstance(i, dict) and i.get("contactId")}
        )
        if not ids:
            return {}
        body = await self.call(
            "crm.contact.list",
            {
                "filter": {"@ID": ids},
                "select": ["ID", "NAME", "SECOND_NAME", "LAST_NAME", "PHONE"],
            },
        )
        found: dict[str, dict[str, str]] = {}
        for contact in body["result"] if isinstance(body["result"], list) else []:
            if not isinstance(contact, dict):
                continue
            name = " ".join(
                str(contact.get(k) or "") for k in ("LAST_NAME", "NAME", "SECOND_NAME")
            ).strip()
            numbers = [
                str(p.get("VALUE"))
                for p in contact.get("PHONE") or []
                if isinstance(p, dict) and p.get("VALUE")
            ]
            found[str(contact.get("ID"))] = {"name": name, "phones": "; ".join(numbers)}
        return found

    def _row(self, item: Any, contacts: Mapping[str, Mapping[str, str]]) -> RawRow:
        if not isinstance(item, dict):
            return RowError(self.name, None, None, f"элемент не объект: {type(item).__name__}")
        label = str(item.get("id", "?"))
        row: dict[str, Any] = {}
        for key, value in item.items():
            problem = scalar_problem(value)
            if problem is None:
                row[key] = value
            elif key in self.mis.mapping.mis_columns:
                return RowError(self.name, label, key, problem)
        contact = contacts.get(str(item.get("contactId")), {})
        row["contact.name"] = contact.get("name")
        row["contact.phones"] = contact.get("phones")
        return label, row

    async def write(self, record: OutcomeRecord) -> None:
        await self.write_many([record])

    async def write_many(self, records: Iterable[OutcomeRecord]) -> None:
        """Update items and add comments in `batch` calls of at most 50 commands."""
        records = list(records)
        updates: dict[str, str] = {}
        lists: dict[str, str] = {}
        for n, record in enumerate(records):
            fields = {k: _plain(v) for k, v in self.mapper.result_fields(record).items()}
            if fields:
                updates[f"u{n}"] = "crm.item.update?" + php_query(
                    {
                        "entityTypeId": self.config.entity_type_id,
                        "id": record.appointment_id,
                        "fields": fields,
                    }
                )
            if self.comment is not None:
                lists[f"c{n}"] = "crm.timeline.comment.list?" + php_query(
                    {
                        "filter": {
                            "ENTITY_ID": record.appointment_id,
                            "ENTITY_TYPE": self.timeline_type,
                        },
                        "select": ["ID", "COMMENT"],
                    }
                )
        answers = await self.batch({**updates, **lists})
        adds: dict[str, str] = {}
        for n, record in enumerate(records):
            if self.comment is None:
                continue
            marker = f"[dozvon {record.appointment_id}#{record.attempt}]"
            existing = answers.get(f"c{n}") or []
            if any(marker in str(c.get("COMMENT", "")) for c in existing if isinstance(c, dict)):
                continue
            text = self.comment.render(self.mapper.outbound(record)) + " " + marker
            adds[f"a{n}"] = "crm.timeline.comment.add?" + php_query(
                {
                    "fields": {
                        "ENTITY_ID": record.appointment_id,
                        "ENTITY_TYPE": self.timeline_type,
                        "COMMENT": text,
                    }
                }
            )
        await self.batch(adds)

    async def batch(self, commands: Mapping[str, str]) -> dict[str, Any]:
        """Run commands in batches of 50; any command's error fails the write with its key."""
        results: dict[str, Any] = {}
        keys = list(commands)
        for offset in range(0, len(keys), BATCH_LIMIT):
            chunk = {k: commands[k] for k in keys[offset : offset + BATCH_LIMIT]}
            body = await self.call("batch", {"halt": 0, "cmd": chunk})
            result = body["result"]
            if not isinstance(result, dict):
                raise self.http.error("POST", "batch", "в ответе нет result.result")
            errors = result.get("result_error") or {}
            if errors:
                key, error = next(iter(errors.items()))
                detail = error if isinstance(error, dict) else {"error": error}
                method = chunk.get(key, "?").split("?", 1)[0]
                raise self.http.error(
                    "POST",
                    "batch",
                    f"команда {key} ({method}): {detail.get('error')}: "
                    f"{detail.get('error_description', '')}; ошибок в пакете: {len(errors)}",
                )
            results.update(result.get("result") or {})
        return results


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return value
