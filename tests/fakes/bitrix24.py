"""A FAKE Bitrix24 portal: only what Dozvon uses, built from the official REST documentation.

No Bitrix24 can run here, so this reproduces the documented behaviour (github.com/bitrix24/
b24restdocs, apidocs.bitrix24.com) that the connector depends on:

- inbound webhook URLs `/rest/<user_id>/<secret>/<method>`; a wrong secret gives HTTP 401
  `{"error": "INVALID_CREDENTIALS", "error_description": "Invalid request credentials"}`;
- `crm.item.list {entityTypeId, select, filter, order, start}`: 50 items a page, answer
  `{"result": {"items": [...]}, "total": N, "next": M, "time": {...}}`, `next` absent on the last
  page; filter keys with the prefixes `>=`, `<`, `=`, `@`; items in camelCase;
- `crm.contact.list {filter: {"@ID": [...]}, select}`: contacts with `PHONE: [{VALUE, VALUE_TYPE}]`;
- `crm.item.update {entityTypeId, id, fields}` → `{"result": {"item": {...}}}`; an unknown id
  gives HTTP 400 `{"error": "NOT_FOUND", ...}`;
- `crm.timeline.comment.add {fields: {ENTITY_ID, ENTITY_TYPE, COMMENT}}` → `{"result": <id>}`,
  `crm.timeline.comment.list {filter}`;
- `batch {halt, cmd: {key: "method?query"}}`: at most 50 commands, answer `{"result": {"result":
  {...}, "result_error": {...}, "result_total": ..., "result_next": ..., "result_time": ...}}`;
- the leaky-bucket limit: past the bucket the portal answers HTTP 503
  `{"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}`.
  (Cloud: bucket 50, drain 2/s; both are parameters here so a test stays short.)

Where the docs say nothing (the exact error for a batch over 50 commands), the fake answers
HTTP 400 with an error body and says so in the description. Hostile modes (`html`,
`broken_json`, `repeat_page`) stand in for a proxy's error page, a truncated answer, and a
portal that ignores `start`.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PAGE = 50


def parse_php_query(query: str) -> dict[str, Any]:
    """PHP's parse_str: `fields[a][b]=1&select[0]=ID` into nested dicts (lists stay dicts)."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


@dataclass
class FakeBitrix24:
    secret: str = "s3cr3tw3bh00k"
    bucket: int = 50
    drain_per_s: float = 2.0
    items: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"
    calls: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    refused: int = 0
    busy_for: int = 0
    """Refuse this many next requests as over the limit (another app spent the bucket)."""
    _level: float = 0.0
    _stamp: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> Starlette:
        route = Route("/rest/{user}/{secret}/{method}", self.endpoint, methods=["POST", "GET"])
        return Starlette(routes=[route])

    def _over_limit(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._stamp) * self.drain_per_s)
            self._stamp = now
            if self.busy_for > 0 or self._level + 1 > self.bucket:
                self.busy_for = max(0, self.busy_for - 1)
                self.refused += 1
                return True
            self._level += 1
            return False

    async def endpoint(self, request: Request) -> Response:
        method = request.path_params["method"].removesuffix(".json")
        if request.path_params["secret"] != self.secret:
            return error(401, "INVALID_CREDENTIALS", "Invalid request credentials")
        if self._over_limit():
            return error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        self.calls.append(method)
        if self.mode == "html":
            page = "<html><head><title>502 Bad Gateway</title></head></html>"
            return Response(page, 200, media_type="text/html")
        if self.mode == "broken_json":
            return Response('{"result": {"items": [', 200, media_type="application/json")
        raw = await request.body()
        params = json.loads(raw) if raw else {}
        return self.dispatch(method, params)

    def dispatch(self, method: str, params: dict[str, Any]) -> Response:
        handler: Callable[[dict[str, Any]], Response] | None = {
            "crm.item.list": self.item_list,
            "crm.item.update": self.item_update,
            "crm.contact.list": self.contact_list,
            "crm.timeline.comment.add": self.comment_add,
            "crm.timeline.comment.list": self.comment_list,
            "batch": self.batch,
        }.get(method)
        if handler is None:
            return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        return handler(params)

    def item_list(self, params: dict[str, Any]) -> Response:
        start = 0 if self.mode == "repeat_page" else int(params.get("start") or 0)
        terms = params.get("filter") or {}
        matched = [i for _, i in sorted(self.items.items()) if matches(i, terms)]
        page = matched[start : start + PAGE]
        body: dict[str, Any] = {"result": {"items": page}, "total": len(matched), "time": timing()}
        if start + PAGE < len(matched) or self.mode == "repeat_page":
            body["next"] = start + PAGE
        return JSONResponse(body)

    def item_update(self, params: dict[str, Any]) -> Response:
        item = self.items.get(int(params.get("id") or 0))
        if item is None:
            return error(400, "NOT_FOUND", "Element not found")
        item.update(params.get("fields") or {})
        return JSONResponse({"result": {"item": item}, "time": timing()})

    def contact_list(self, params: dict[str, Any]) -> Response:
        wanted = (params.get("filter") or {}).get("@ID") or []
        if isinstance(wanted, dict):
            wanted = list(wanted.values())
        found = [self.contacts[int(i)] for i in wanted if int(i) in self.contacts]
        return JSONResponse({"result": found, "total": len(found), "time": timing()})

    def comment_add(self, params: dict[str, Any]) -> Response:
        fields = params.get("fields") or {}
        if not fields.get("ENTITY_ID") or not fields.get("COMMENT"):
            return error(400, "ERROR_CORE", "ENTITY_ID and COMMENT are required")
        comment = {"ID": next(self._ids), **fields}
        self.comments.append(comment)
        return JSONResponse({"result": comment["ID"], "time": timing()})

    def comment_list(self, params: dict[str, Any]) -> Response:
        wanted = params.get("filter") or {}
        found = [
            c
            for c in self.comments
            if str(c["ENTITY_ID"]) == str(wanted.get("ENTITY_ID"))
            and c["ENTITY_TYPE"] == wanted.get("ENTITY_TYPE")
        ]
        return JSONResponse({"result": found, "total": len(found), "time": timing()})

    def batch(self, params: dict[str, Any]) -> Response:
        commands = params.get("cmd") or {}
        self.batch_sizes.append(len(commands))
        if len(commands) > 50:
            return error(400, "INVALID_REQUEST", "fake: more than 50 commands in one batch")
        results: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key, command in commands.items():
            method, _, query = command.partition("?")
            answer = self.dispatch(method, parse_php_query(query))
            body = json.loads(bytes(answer.body))
            if "error" in body:
                errors[key] = body
            else:
                results[key] = body["result"]
        return JSONResponse(
            {
                "result": {
                    "result": results or [],
                    "result_error": errors or [],
                    "result_total": [],
                    "result_next": [],
                    "result_time": {},
                },
                "time": timing(),
            }
        )


def matches(item: dict[str, Any], terms: dict[str, Any]) -> bool:
    for key, wanted in terms.items():
        for prefix in (">=", "<=", "!=", ">", "<", "=", "@", ""):
            if key.startswith(prefix):
                name = key[len(prefix) :]
                break
        value = item.get(name)
        if prefix in (">=", "<=", ">", "<"):
            moment = as_moment(value)
            if moment is None:
                return False
            bound = as_moment(wanted)
            assert bound is not None, f"filter {key}: not a date {wanted!r}"
            checks = {
                ">=": moment >= bound,
                "<=": moment <= bound,
                ">": moment > bound,
                "<": moment < bound,
            }
            if not checks[prefix]:
                return False
        elif prefix == "@":
            if str(value) not in {str(w) for w in wanted}:
                return False
        elif prefix == "!=":
            if str(value) == str(wanted):
                return False
        elif str(value) != str(wanted):
            return False
    return True


def as_moment(value: Any) -> datetime | None:
    """Bitrix24 compares date fields as moments, whatever offset the client wrote."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)


def timing() -> dict[str, Any]:
    now = time.time()
    return {"start": now, "finish": now, "duration": 0.0, "operating": 0.0}
