"""A FAKE amoCRM account (API v4): only what Dozvon uses, built from the official documentation.

No amoCRM can run here, so this reproduces the documented behaviour (amocrm.ru/developers,
"API v4": OAuth 2.0, leads, contacts, notes, calls, limits) the connector depends on:

- `POST /oauth2/access_token` (JSON: client_id, client_secret, grant_type=refresh_token,
  refresh_token, redirect_uri) answers a new `access_token` AND a new `refresh_token`; the old
  refresh token is spent ("refresh token одноразовый"): using it again gives HTTP 400;
- an expired or unknown access token gives HTTP 401 (problem+json: title, type, status, detail);
- at most 7 requests a second per integration: past it HTTP 429;
- `GET /api/v4/leads?with=contacts&limit=<=250&page=N&filter[statuses][i][pipeline_id|status_id]`
  answers `{"_page": N, "_links": {"self": ..., "next": ...}, "_embedded": {"leads": [...]}}`,
  with `_embedded.contacts: [{id, is_main}]` inside each lead, and HTTP 204 (no body) when
  nothing matches; custom fields as `custom_fields_values: [{field_id, values: [{value}]}]`,
  date_time values as unix time;
- `GET /api/v4/contacts?filter[id][]=…`: phones in the field with `field_code: "PHONE"`;
- `GET /api/v4/leads/{id}?with=contacts`, `PATCH /api/v4/leads` (a list, at most 250),
  `GET /api/v4/leads/{id}/notes` (204 when none), `POST /api/v4/leads/notes` (a list),
  `POST /api/v4/calls` (a list; `call_status` 1..8 and `direction` are required).

Hostile modes (`html`, `broken_json`, `repeat_next`) stand in for a proxy's error page, a
truncated answer and an account whose `next` link points back at the same page.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_LIMIT = 250


def problem(status: int, title: str, detail: str) -> JSONResponse:
    return JSONResponse(
        {
            "title": title,
            "type": "https://httpstatus.es/" + str(status),
            "status": status,
            "detail": detail,
        },
        status_code=status,
        media_type="application/problem+json",
    )


@dataclass
class FakeAmoCrm:
    client_id: str = "client-1"
    client_secret: str = "client-secret-xyz"
    leads: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    refreshes: int = 0
    requests_per_second: int = 7
    mode: str = "ok"
    limited: int = 0
    busy_for: int = 0
    """Answer 429 to this many next requests (the integration's quota spent elsewhere)."""
    log: list[str] = field(default_factory=list)
    _window: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def issue(self) -> dict[str, Any]:
        access, refresh = "acc-" + secrets.token_hex(8), "ref-" + secrets.token_hex(8)
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        return {
            "token_type": "Bearer",
            "expires_in": 86400,
            "access_token": access,
            "refresh_token": refresh,
        }

    def expire_all(self) -> None:
        self.access_tokens.clear()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/oauth2/access_token", self.token, methods=["POST"]),
                Route("/api/v4/leads", self.leads_list, methods=["GET"]),
                Route("/api/v4/leads", self.leads_patch, methods=["PATCH"]),
                Route("/api/v4/leads/notes", self.notes_add, methods=["POST"]),
                Route("/api/v4/leads/{id:int}", self.lead_get, methods=["GET"]),
                Route("/api/v4/leads/{id:int}/notes", self.notes_list, methods=["GET"]),
                Route("/api/v4/contacts", self.contacts_list, methods=["GET"]),
                Route("/api/v4/calls", self.calls_add, methods=["POST"]),
            ]
        )

    async def token(self, request: Request) -> Response:
        body = await request.json()
        if (
            body.get("client_id") != self.client_id
            or body.get("client_secret") != self.client_secret
        ):
            return problem(401, "Unauthorized", "Client authentication failed")
        if body.get("grant_type") != "refresh_token":
            return problem(400, "Bad request", "grant_type")
        refresh = body.get("refresh_token")
        if refresh not in self.refresh_tokens:
            return problem(400, "Bad request", "Token has been revoked")
        self.refresh_tokens.discard(refresh)
        self.refreshes += 1
        return JSONResponse(self.issue())

    def _gate(self, request: Request) -> Response | None:
        with self._lock:
            now = time.monotonic()
            self._window = [t for t in self._window if now - t < 1.0]
            if self.busy_for > 0 or len(self._window) >= self.requests_per_second:
                self.busy_for = max(0, self.busy_for - 1)
                self.limited += 1
                return problem(429, "Too Many Requests", "Rate limit exceeded")
            self._window.append(now)
        auth = request.headers.get("Authorization", "")
        if auth.removeprefix("Bearer ") not in self.access_tokens:
            return problem(401, "Unauthorized", "Unauthorized")
        self.log.append(f"{request.method} {request.url.path}")
        if self.mode == "html":
            return Response(
                "<!DOCTYPE html><html><title>Вход в amoCRM</title></html>",
                200,
                media_type="text/html",
            )
        if self.mode == "broken_json":
            return Response(
                '{"_embedded": {"leads": [{"id": 1,', 200, media_type="application/hal+json"
            )
        return None

    async def leads_list(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        q = request.query_params
        limit = min(int(q.get("limit", 50)), MAX_LIMIT)
        page = int(q.get("page", 1))
        wanted = set()
        for n in range(10):
            pipeline, status = (
                q.get(f"filter[statuses][{n}][{k}]") for k in ("pipeline_id", "status_id")
            )
            if pipeline and status:
                wanted.add((int(pipeline), int(status)))
        matched = [
            lead
            for _, lead in sorted(self.leads.items())
            if not wanted or (lead["pipeline_id"], lead["status_id"]) in wanted
        ]
        chunk = matched[(page - 1) * limit : page * limit]
        if not chunk:
            return Response(status_code=204)
        with_contacts = "contacts" in q.get("with", "")
        base = str(request.url.remove_query_params("page"))
        body: dict[str, Any] = {
            "_page": page,
            "_links": {"self": {"href": str(request.url)}},
            "_embedded": {"leads": [self._shown(lead, with_contacts) for lead in chunk]},
        }
        if page * limit < len(matched):
            body["_links"]["next"] = {"href": f"{base}&page={page + 1}"}
        if self.mode == "repeat_next":
            body["_links"]["next"] = {"href": str(request.url)}
        return JSONResponse(body, media_type="application/hal+json")

    def _shown(self, lead: dict[str, Any], with_contacts: bool) -> dict[str, Any]:
        shown = {k: v for k, v in lead.items() if k != "contact_ids"}
        contacts = [{"id": c, "is_main": n == 0} for n, c in enumerate(lead.get("contact_ids", []))]
        shown["_embedded"] = {"tags": [], **({"contacts": contacts} if with_contacts else {})}
        return shown

    async def lead_get(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        lead = self.leads.get(request.path_params["id"])
        if lead is None:
            return Response(status_code=204)
        return JSONResponse(self._shown(lead, "contacts" in request.query_params.get("with", "")))

    async def leads_patch(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        updates = await request.json()
        if not isinstance(updates, list) or len(updates) > MAX_LIMIT:
            return problem(400, "Bad Request", "body must be a list of at most 250 leads")
        done = []
        for update in updates:
            lead = self.leads.get(update.get("id"))
            if lead is None:
                return problem(400, "Bad Request", f"lead {update.get('id')} not found")
            if "status_id" in update:
                lead["status_id"] = update["status_id"]
            for cf in update.get("custom_fields_values") or []:
                current = [
                    f for f in lead["custom_fields_values"] if f["field_id"] != cf["field_id"]
                ]
                lead["custom_fields_values"] = [*current, cf]
            done.append({"id": lead["id"], "updated_at": int(time.time())})
        return JSONResponse({"_embedded": {"leads": done}})

    async def contacts_list(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        ids = [int(v) for k, v in request.query_params.multi_items() if k == "filter[id][]"]
        found = [self.contacts[i] for i in ids if i in self.contacts]
        if not found:
            return Response(status_code=204)
        return JSONResponse({"_embedded": {"contacts": found}})

    async def notes_list(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        notes = self.notes.get(request.path_params["id"], [])
        if not notes:
            return Response(status_code=204)
        return JSONResponse({"_embedded": {"notes": notes}})

    async def notes_add(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        added = []
        for note in await request.json():
            if note.get("note_type") != "common" or not (note.get("params") or {}).get("text"):
                return problem(400, "Bad Request", "note_type common needs params.text")
            stored = {"id": next(self._ids), **note}
            self.notes.setdefault(int(note["entity_id"]), []).append(stored)
            added.append({"id": stored["id"], "entity_id": note["entity_id"]})
        return JSONResponse({"_embedded": {"notes": added}})

    async def calls_add(self, request: Request) -> Response:
        if (refused := self._gate(request)) is not None:
            return refused
        added, errors = [], []
        for n, call in enumerate(await request.json()):
            if (
                call.get("direction") not in ("inbound", "outbound")
                or not 1 <= call.get("call_status", 0) <= 8
            ):
                errors.append({"request_id": str(n), "detail": "direction/call_status"})
                continue
            self.calls.append(call)
            added.append({"id": next(self._ids), "request_id": str(n)})
        return JSONResponse({"_embedded": {"calls": added}, "errors": errors})
