"""A FAKE clinic REST API for the generic REST connector: no real product, the common patterns.

The generic connector exists for MIS APIs that have no adapter of their own, so there is no
one vendor's documentation to follow. This fake serves the usual patterns, each as written in
its standard, one endpoint per pattern:

- auth: Bearer (RFC 6750), Basic (RFC 7617), an API key in a header or the query, and OAuth2
  refresh (RFC 6749 §6: form-encoded `grant_type=refresh_token`, a new access token; an
  unknown token gives 401 with `WWW-Authenticate: Bearer error="invalid_token"`);
- paging: `offset`/`limit` (`/api/offset`), `page`/`per_page` (`/api/pages`), an opaque cursor
  in `meta.next_cursor` (`/api/cursor`), and a `links.next` URL (`/api/linked`);
- write-back: POST/PUT/PATCH `/api/appointments/{id}/result`, honouring `Idempotency-Key`
  (draft-ietf-httpapi-idempotency-key-header: a repeated key replays the first answer).

Hostile modes (`html`, `broken_json`, `repeat`, `wrong_types`) stand in for a proxy's error
page with status 200, a truncated answer, a server that ignores paging, and records whose
fields have the wrong JSON types.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import form_fields


@dataclass
class FakeRestMis:
    auth: str = "bearer"
    token: str = "tok-" + "a1b2c3d4e5"
    api_key: str = "key-0987654321"
    user: str = "robot"
    password: str = "p@ss-w0rd"
    refresh_token: str = "ref-initial-123"
    records: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seen_keys: dict[str, Any] = field(default_factory=dict)
    mode: str = "ok"
    requests: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth/token", self.oauth_token, methods=["POST"]),
                Route("/api/offset", self.offset_page),
                Route("/api/pages", self.numbered_page),
                Route("/api/cursor", self.cursor_page),
                Route("/api/linked", self.linked_page),
                Route(
                    "/api/appointments/{id}/result", self.result, methods=["POST", "PUT", "PATCH"]
                ),
            ]
        )

    def _denied(self, request: Request) -> Response | None:
        header = request.headers.get("Authorization", "")
        ok = {
            "none": True,
            "bearer": header == f"Bearer {self.token}",
            "oauth2": header == f"Bearer {self.token}",
            "basic": header
            == "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode(),
            "api_key_header": request.headers.get("X-Api-Key") == self.api_key,
            "api_key_query": request.query_params.get("api_key") == self.api_key,
        }[self.auth]
        if ok:
            return None
        return JSONResponse(
            {"error": "unauthorized"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )

    async def oauth_token(self, request: Request) -> Response:
        form = await form_fields(request)
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("refresh_token") != self.refresh_token
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        self.token = "tok-" + secrets.token_hex(6)
        return JSONResponse(
            {"access_token": self.token, "token_type": "Bearer", "expires_in": 3600}
        )

    def _hostile(self) -> Response | None:
        if self.mode == "html":
            return Response(
                "<html><head><title>Ошибка 500</title></head><body>упало</body></html>",
                200,
                media_type="text/html",
            )
        if self.mode == "broken_json":
            return Response('{"data": [{"id": "1", ', 200, media_type="application/json")
        return None

    def _window(self, request: Request) -> list[dict[str, Any]]:
        start, end = request.query_params.get("from", ""), request.query_params.get("to", "")
        chosen = [r for r in self.records if start <= str(r.get("date", "")) < end]
        if self.mode == "wrong_types":
            return [{**r, "patient": "строка вместо объекта"} for r in chosen]
        return chosen

    async def _gate(self, request: Request) -> Response | None:
        self.requests.append(str(request.url))
        return self._denied(request) or self._hostile()

    async def offset_page(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        rows = self._window(request)
        offset = 0 if self.mode == "repeat" else int(request.query_params.get("offset", 0))
        limit = int(request.query_params.get("limit", 20))
        return JSONResponse({"data": rows[offset : offset + limit], "total": len(rows)})

    async def numbered_page(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        rows = self._window(request)
        page, size = (
            int(request.query_params.get("page", 1)),
            int(request.query_params.get("per_page", 20)),
        )
        return JSONResponse({"items": rows[(page - 1) * size : page * size]})

    async def cursor_page(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        rows = self._window(request)
        at = int(request.query_params.get("cursor") or 0)
        chunk = rows[at : at + 7]
        nxt = str(at + 7) if at + 7 < len(rows) else None
        return JSONResponse({"data": chunk, "meta": {"next_cursor": nxt}})

    async def linked_page(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        rows = self._window(request)
        at = int(request.query_params.get("at") or 0)
        body: dict[str, Any] = {"data": rows[at : at + 9], "links": {}}
        if at + 9 < len(rows):
            body["links"]["next"] = str(request.url.include_query_params(at=at + 9))
        if self.mode == "repeat":
            body["links"]["next"] = str(request.url)
        return JSONResponse(body)

    async def result(self, request: Request) -> Response:
        if (refused := await self._gate(request)) is not None:
            return refused
        key = request.headers.get("Idempotency-Key")
        if key and key in self.seen_keys:
            return JSONResponse(self.seen_keys[key], status_code=200)
        body = await request.json()
        entry = {"method": request.method, **body}
        self.results.setdefault(request.path_params["id"], []).append(entry)
        answer = {"ok": True, "id": request.path_params["id"]}
        if key:
            self.seen_keys[key] = answer
        return JSONResponse(answer, status_code=201 if request.method == "POST" else 200)
