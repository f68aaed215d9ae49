"""amoCRM (Kommo) API v4: leads in a pipeline stage in, results, notes and calls back.

Auth: a long-lived token (`auth: {type: bearer}`) or OAuth2 (`auth: {type: oauth2, body: json}`),
whose refresh token rotates on every use; dozvon.mis.auth stores the new pair atomically
before using it, and a 401 refreshes once.

Read: `GET /api/v4/leads?with=contacts` filtered by pipeline and stage, 250 a page, following
`_links.next`; an empty list is HTTP 204. The visit date is a custom field, and filtering by
custom fields is an alpha feature of the API, so the window is checked here. Phones live on
the contacts: one `GET /api/v4/contacts?filter[id][]=…` per page. The row a mapping sees:
`id`, `name`, `status_id`, `pipeline_id`, `price`, `visit_at` (the date field as a moment),
`cf.<field_id>` for each custom field, `contact.name`, `contact.phones`.

Write: result fields named `cf.<field_id>` (and `status_id`, to move the lead) go out in one
`PATCH /api/v4/leads`; optionally a call (`POST /api/v4/calls`, our outcome mapped onto its
`call_status` codes) and a note (`POST /api/v4/leads/notes`) with a marker; a record whose
marker is already among the lead's notes adds neither again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dozvon.core.outcome import Outcome
from dozvon.mis.auth import AuthConfig, build_auth
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import HttpRetry, MisHttp, Secrets
from dozvon.mis.interface import InterfaceConnector, scalar_problem
from dozvon.mis.paging import NextLinkPaging, PageRequest, pages
from dozvon.mis.source import RawRow
from dozvon.mis.values import SafeTemplate

PAGE = 250
LEAD_COLUMNS = frozenset(
    {
        "id",
        "name",
        "status_id",
        "pipeline_id",
        "price",
        "visit_at",
        "contact.name",
        "contact.phones",
    }
)
CALL_STATUS: dict[Outcome, int] = {
    Outcome.CONFIRMED: 4,
    Outcome.DECLINED: 4,
    Outcome.RESCHEDULE_REQUESTED: 4,
    Outcome.HUNG_UP: 4,
    Outcome.UNCERTAIN: 4,
    Outcome.OPTED_OUT: 4,
    Outcome.CALLBACK_REQUESTED: 2,
    Outcome.MESSAGE_LEFT: 1,
    Outcome.ANSWERING_MACHINE: 1,
    Outcome.WRONG_PERSON: 5,
    Outcome.INVALID_NUMBER: 5,
    Outcome.NO_ANSWER: 6,
    Outcome.REJECTED: 6,
    Outcome.NETWORK_ERROR: 6,
    Outcome.BUSY: 7,
}
"""Our outcome → amoCRM `call_status`: 1 left a message, 2 call back later, 3 not in place,
4 conversation took place, 5 wrong number, 6 not reached, 7 busy, 8 undefined."""
UNDEFINED_CALL = 8


class AmoCrmConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["amocrm"]
    base_url: str
    """https://<subdomain>.amocrm.ru (or .kommo.com)."""
    auth: AuthConfig
    pipeline_id: int
    status_ids: list[int] = Field(min_length=1)
    """The stage(s) of leads to call, e.g. "Записан на приём"."""
    date_field_id: int
    """The custom field (date or date_time) with the visit time."""
    note: str | None = None
    """Note template, e.g. "Робот: {outcome_label}"; none when unset."""
    calls: bool = False
    call_status: dict[str, int] = Field(default_factory=dict)
    """Overrides of the outcome → call_status table."""
    call_source: str = "Dozvon"
    rate: float = Field(6.0, gt=0, le=7.0)
    """The documented cap is 7 requests/s per integration; a margin keeps clock jitter under it."""
    timeout: float = 30.0

    @field_validator("call_status")
    @classmethod
    def _known(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = set(value) - {o.value for o in Outcome}
        bad = {k: v for k, v in value.items() if not 1 <= v <= 8}
        if unknown or bad:
            raise ValueError(f"call_status: неизвестные исходы {sorted(unknown)} или коды {bad}")
        return value


class AmoCrmConnector(InterfaceConnector):
    Config = AmoCrmConfig

    def __init__(self, config: AmoCrmConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        secrets = Secrets()
        self.http = MisHttp(
            system=mis.name,
            base_url=config.base_url.rstrip("/") + "/api/v4/",
            rate=config.rate,
            burst=1,
            auth=build_auth(config.auth, mis.name, secrets),
            secrets=secrets,
            timeout=config.timeout,
            retry=HttpRetry(attempts=4, base_delay=1.0),
        )
        self.note = SafeTemplate(config.note) if config.note else None
        self.call_status = {
            **{o.value: c for o, c in CALL_STATUS.items()},
            **config.call_status,
        }
        odd = sorted(
            c for c in mis.mapping.mis_columns if c not in LEAD_COLUMNS and not _field_id(c)
        )
        if odd:
            raise MisError(
                f"{mis.name}: у сделки amoCRM нет столбцов {', '.join(odd)}; есть "
                f"{', '.join(sorted(LEAD_COLUMNS))} и cf.<id поля>"
            )
        writable = {k for k in mis.mapping.results.fields if k != "status_id"}
        bad = sorted(k for k in writable if not _field_id(k))
        if bad:
            raise MisError(
                f"{mis.name}: поля результата amoCRM называются cf.<id поля> или status_id; "
                f"неверно: {', '.join(bad)}"
            )

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        params: dict[str, Any] = {"with": "contacts", "limit": PAGE, "page": 1}
        for n, status in enumerate(self.config.status_ids):
            params[f"filter[statuses][{n}][pipeline_id]"] = self.config.pipeline_id
            params[f"filter[statuses][{n}][status_id]"] = status
        request = PageRequest("GET", "leads", params=params)
        async for _, leads in pages(self.http, request, NextLinkPaging(_next), self._leads):
            contacts = await self._contacts(leads)
            rows = [self._row(lead, contacts, window) for lead in leads]
            yield [r for r in rows if r is not None]

    def _leads(self, body: Any, request: PageRequest) -> list[Any]:
        leads = _embedded(body, "leads")
        if leads is None:
            raise self.http.error(request.method, request.url, "в ответе нет _embedded.leads")
        return leads

    async def _contacts(self, leads: Sequence[Any]) -> dict[int, dict[str, str]]:
        ids = sorted({c for lead in leads if (c := _main_contact(lead)) is not None})
        if not ids:
            return {}
        params = [("filter[id][]", str(i)) for i in ids] + [("limit", str(PAGE))]
        body = await self.http.json("GET", "contacts", params=params)
        found: dict[int, dict[str, str]] = {}
        for contact in _embedded(body, "contacts") or []:
            if not isinstance(contact, dict) or not isinstance(contact.get("id"), int):
                continue
            phones = [
                str(v.get("value"))
                for f in contact.get("custom_fields_values") or []
                if isinstance(f, dict) and f.get("field_code") == "PHONE"
                for v in f.get("values") or []
                if isinstance(v, dict) and v.get("value")
            ]
            found[contact["id"]] = {
                "name": str(contact.get("name") or ""),
                "phones": "; ".join(phones),
            }
        return found

    def _row(
        self, lead: Any, contacts: Mapping[int, Mapping[str, str]], window: Window
    ) -> RawRow | None:
        if not isinstance(lead, dict):
            return RowError(self.name, None, None, f"сделка не объект: {type(lead).__name__}")
        label = str(lead.get("id", "?"))
        row: dict[str, Any] = {
            k: lead.get(k) for k in ("id", "name", "status_id", "pipeline_id", "price")
        }
        for field in lead.get("custom_fields_values") or []:
            if not isinstance(field, dict) or "field_id" not in field:
                return RowError(self.name, label, "custom_fields_values", "поле без field_id")
            values = [v.get("value") for v in field.get("values") or [] if isinstance(v, dict)]
            name = f"cf.{field['field_id']}"
            problem = next((p for v in values if (p := scalar_problem(v))), None)
            if problem:
                return RowError(self.name, label, name, problem)
            row[name] = values[0] if len(values) == 1 else "; ".join(map(str, values)) or None
        date_name = f"cf.{self.config.date_field_id}"
        raw = row.get(date_name)
        if raw is None:
            return RowError(self.name, label, date_name, "нет даты визита")
        try:
            visit = datetime.fromtimestamp(int(raw), UTC)
        except (TypeError, ValueError, OverflowError):
            return RowError(self.name, label, date_name, f"дата не unix-время: {str(raw)[:40]!r}")
        if not window.start <= visit < window.end:
            return None
        row["visit_at"] = visit
        contact = contacts.get(_main_contact(lead) or -1, {})
        row["contact.name"] = contact.get("name")
        row["contact.phones"] = contact.get("phones")
        return label, row

    async def write(self, record: OutcomeRecord) -> None:
        await self.write_many([record])

    async def write_many(self, records: Iterable[OutcomeRecord]) -> None:
        records = list(records)
        updates = [u for r in records if (u := self._update(r))]
        for offset in range(0, len(updates), PAGE):
            await self.http.json("PATCH", "leads", json=updates[offset : offset + PAGE])
        if self.note is None and not self.config.calls:
            return
        for record in records:
            marker = f"[dozvon {record.appointment_id}#{record.attempt}]"
            if marker in await self._notes(record.appointment_id):
                continue
            if self.config.calls:
                await self._call(record)
            text = self.note.render(self.mapper.outbound(record)) if self.note else "Dozvon:"
            await self.http.json(
                "POST",
                "leads/notes",
                json=[
                    {
                        "entity_id": int(record.appointment_id),
                        "note_type": "common",
                        "params": {"text": f"{text} {marker}"},
                    }
                ],
            )

    def _update(self, record: OutcomeRecord) -> dict[str, Any] | None:
        fields = self.mapper.result_fields(record)
        if not fields:
            return None
        update: dict[str, Any] = {"id": _lead_id(self.name, record.appointment_id)}
        custom = []
        for name, value in fields.items():
            if name == "status_id":
                update["status_id"] = int(str(value))
            else:
                shown = value.isoformat() if isinstance(value, datetime) else value
                custom.append({"field_id": _field_id(name), "values": [{"value": shown}]})
        if custom:
            update["custom_fields_values"] = custom
        return update

    async def _notes(self, lead_id: str) -> str:
        body = await self.http.json(
            "GET", f"leads/{_lead_id(self.name, lead_id)}/notes", params={"limit": PAGE}
        )
        notes = _embedded(body, "notes") or []
        return "\n".join(
            str((n.get("params") or {}).get("text", "")) for n in notes if isinstance(n, dict)
        )

    async def _call(self, record: OutcomeRecord) -> None:
        lead_url = f"leads/{_lead_id(self.name, record.appointment_id)}"
        lead = await self.http.json("GET", lead_url, params={"with": "contacts"})
        contact_id = _main_contact(lead)
        contacts = await self._contacts([lead]) if contact_id else {}
        phone = (contacts.get(contact_id or -1, {}).get("phones") or "").split(";")[0].strip()
        if not phone:
            raise self.http.error(
                "POST", "calls", f"у сделки {record.appointment_id} нет контакта с телефоном"
            )
        call = {
            "direction": "outbound",
            "uniq": f"dozvon-{record.appointment_id}-{record.attempt}",
            "duration": round(record.evidence.talk_seconds),
            "source": self.config.call_source,
            "phone": phone,
            "call_status": self.call_status.get(record.outcome.value, UNDEFINED_CALL),
            "call_result": self.mapper.builtin_values(record)["outcome_label"],
            "created_at": int(record.finished_at.timestamp()),
        }
        body = await self.http.json("POST", "calls", json=[call])
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            raise self.http.error("POST", "calls", f"звонок не принят: {str(errors)[:200]}")


def _field_id(name: str) -> int | None:
    prefix, _, number = name.partition(".")
    return int(number) if prefix == "cf" and number.isdigit() else None


def _lead_id(system: str, value: str) -> int:
    if not value.isdigit():
        raise MisError(f"{system}: id сделки amoCRM должен быть числом, а не {value[:40]!r}")
    return int(value)


def _embedded(body: Any, name: str) -> list[Any] | None:
    if body is None:
        return []
    embedded = body.get("_embedded") if isinstance(body, dict) else None
    found = embedded.get(name) if isinstance(embedded, dict) else None
    return found if isinstance(found, list) else None


def _main_contact(lead: Any) -> int | None:
    contacts = _embedded(lead, "contacts") or []
    chosen = next((c for c in contacts if isinstance(c, dict) and c.get("is_main")), None)
    chosen = chosen or next((c for c in contacts if isinstance(c, dict)), None)
    found = chosen.get("id") if chosen else None
    return found if isinstance(found, int) else None


def _next(body: Any) -> str | None:
    links = body.get("_links") if isinstance(body, dict) else None
    nxt = links.get("next") if isinstance(links, dict) else None
    href = nxt.get("href") if isinstance(nxt, dict) else None
    return href if isinstance(href, str) else None
