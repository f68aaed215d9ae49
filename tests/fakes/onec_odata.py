"""A FAKE 1C:Enterprise standard OData interface, built from the 1C documentation.

No 1C server can run here. This reproduces what the platform documentation ("Стандартный
интерфейс OData", its.1c.ru/db/v8std and the 8.3 developer guide) says the connector relies on:

- the root `/<base>/odata/standard.odata/`, HTTP Basic auth with a 1C user (401 otherwise);
- `$metadata`: an EDMX (OData v3) document whose EntitySets are named `Document_<Имя>`,
  `Catalog_<Имя>`, `InformationRegister_<Имя>`, with Cyrillic names;
- JSON answers with `$format=json`: `{"odata.metadata": "...", "value": [...]}`; references
  as `<Реквизит>_Key` (GUID), navigation by `$expand=<Реквизит>`;
- `$filter` with `datetime'YYYY-MM-DDTHH:MM:SS'` and `guid'…'` literals, `and`, `eq/ge/lt`;
  `$top`, `$skip`, `$orderby`;
- `PATCH <Set>(guid'…')` updates the attributes given; an unknown key is HTTP 404;
- errors as `{"odata.error": {"code": "...", "message": {"lang": "ru", "value": "..."}}}`.

Only the filter forms the connector sends are parsed. Hostile modes (`html`, `broken_json`,
`repeat`) stand in for a web server's error page, a cut answer and ignored `$skip`.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ROOT = "/clinic/odata/standard.odata"
TERM = re.compile(r"^\(?(\S+) (eq|ge|lt|gt|le|ne) (.+?)\)?$")
KEY = re.compile(r"^(.+)\(guid'([0-9a-f-]{36})'\)$")


def odata_error(status: int, code: str, text: str) -> JSONResponse:
    body = {"odata.error": {"code": code, "message": {"lang": "ru", "value": text}}}
    return JSONResponse(body, status_code=status)


def literal(text: str) -> Any:
    text = text.strip()
    for prefix, convert in (("datetime'", datetime.fromisoformat), ("guid'", str)):
        if text.startswith(prefix) and text.endswith("'"):
            return convert(text[len(prefix) : -1])
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1]
    if text in ("true", "false"):
        return text == "true"
    return float(text)


def value_of(record: dict[str, Any], name: str) -> Any:
    value = record.get(name)
    if isinstance(value, str) and re.match(r"^\d{4}-\d\d-\d\dT", value):
        return datetime.fromisoformat(value)
    return value


@dataclass
class FakeOneC:
    user: str = "Робот"
    password: str = "пароль-1С"
    sets: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """Entity set → Ref_Key → record."""
    mode: str = "ok"
    requests: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(ROOT + "/$metadata", self.metadata),
                Route(ROOT + "/{target}", self.entity, methods=["GET", "PATCH"]),
            ]
        )

    def _denied(self, request: Request) -> Response | None:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return Response("", 401, headers={"WWW-Authenticate": 'Basic realm="1C"'})
        return None

    async def metadata(self, request: Request) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        types, sets = [], []
        for name, records in self.sets.items():
            props = sorted({k for r in records.values() for k in r})
            body = "".join(
                f'<Property Name="{p}" Type="Edm.String"/>'
                for p in props
                if not isinstance(next(iter(records.values())).get(p), dict)
            )
            body += "".join(
                f'<NavigationProperty Name="{p.removesuffix("_Key")}"/>'
                for p in props
                if p.endswith("_Key") and p != "Ref_Key"
            )
            types.append(
                f'<EntityType Name="{name}"><Key><PropertyRef Name="Ref_Key"/></Key>'
                f"{body}</EntityType>"
            )
            sets.append(f'<EntitySet Name="{name}" EntityType="StandardODATA.{name}"/>')
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<edmx:Edmx xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" Version="1.0">'
            "<edmx:DataServices>"
            '<Schema xmlns="http://schemas.microsoft.com/ado/2009/11/edm" '
            'Namespace="StandardODATA">'
            + "".join(types)
            + '<EntityContainer Name="StandardODATA" m:IsDefaultEntityContainer="true" '
            'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
            + "".join(sets)
            + "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
        )
        return Response(xml, media_type="application/xml")

    async def entity(self, request: Request) -> Response:
        if (denied := self._denied(request)) is not None:
            return denied
        self.requests.append(f"{request.method} {request.url}")
        if self.mode == "html":
            return Response(
                "<html><title>Ошибка веб-сервера 1С</title></html>", 200, media_type="text/html"
            )
        if self.mode == "broken_json":
            return Response(
                '{"odata.metadata": "x", "value": [{', 200, media_type="application/json"
            )
        target = request.path_params["target"]
        if request.method == "PATCH":
            return await self.patch(target, request)
        records = self.sets.get(target)
        if records is None:
            return odata_error(404, "", f"Не найден ресурс {target}")
        chosen = list(records.values())
        for term in (request.query_params.get("$filter") or "").split(" and "):
            if not term.strip():
                continue
            match = TERM.match(term.strip())
            if match is None:
                return odata_error(400, "", f"Неверный синтаксис запроса: {term}")
            name, op, raw = match.groups()
            wanted = literal(raw)
            compare = {
                "eq": lambda a, b: a == b,
                "ne": lambda a, b: a != b,
                "ge": lambda a, b: a >= b,
                "lt": lambda a, b: a < b,
                "gt": lambda a, b: a > b,
                "le": lambda a, b: a <= b,
            }[op]
            chosen = [
                r
                for r in chosen
                if value_of(r, name) is not None and compare(value_of(r, name), wanted)
            ]
        order = request.query_params.get("$orderby", "Ref_Key")
        chosen.sort(key=lambda r: str(r.get(order)))
        skip = 0 if self.mode == "repeat" else int(request.query_params.get("$skip", 0))
        top = int(request.query_params.get("$top", 1000))
        page = [
            self._expanded(r, request.query_params.get("$expand", ""))
            for r in chosen[skip : skip + top]
        ]
        return JSONResponse(
            {"odata.metadata": f"http://fake{ROOT}/$metadata#{target}", "value": page}
        )

    def _expanded(self, record: dict[str, Any], expand: str) -> dict[str, Any]:
        shown = dict(record)
        for name in filter(None, expand.split(",")):
            key = record.get(f"{name}_Key")
            for records in self.sets.values():
                if key in records:
                    shown[name] = records[key]
        return shown

    async def patch(self, target: str, request: Request) -> Response:
        match = KEY.match(target)
        if match is None:
            return odata_error(400, "", f"Неверный ключ: {target}")
        entity, key = match.groups()
        record = self.sets.get(entity, {}).get(key)
        if record is None:
            return odata_error(404, "", f"Не найден объект {target}")
        update = json.loads(await request.body())
        unknown = [k for k in update if k not in record]
        if unknown:
            return odata_error(400, "", f"Неизвестное свойство: {unknown[0]}")
        record.update(update)
        return JSONResponse(
            {"odata.metadata": f"http://fake{ROOT}/$metadata#{entity}/@Element", **record}
        )
