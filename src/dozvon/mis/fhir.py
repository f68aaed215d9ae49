"""FHIR R4: booked Appointments with their Patient, Practitioner and Location, and the outcome back.

Read: one search with `_include`, following Bundle `next` links, so each page carries the
people it names. Each resource is validated with the `fhir.resources` R4B models (R4B is
wire-compatible with R4 for these resources; the package's default models are R5, which
reject R4 shapes). The connector flattens an appointment into fixed columns (`FHIR_COLUMNS`)
that the clinic's declarative mapping reads like any table.

Write: the mapping's result fields `status`, `participant_status` and `comment` set
Appointment.status, the patient participant's status and Appointment.comment. The update is a
PUT with `If-Match` on the version we read; a 412 (someone changed it meanwhile) re-reads and
tries again, a bounded number of times. Setting fields is naturally idempotent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Literal
from urllib.parse import quote

from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dozvon.mis.auth import AuthConfig, NoAuthConfig, build_auth
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import HttpRetry, MisHttp, MisHttpError, Secrets
from dozvon.mis.interface import InterfaceConnector
from dozvon.mis.paging import NextLinkPaging, PageRequest, pages
from dozvon.mis.source import RawRow

FHIR_COLUMNS = (
    "id",
    "start",
    "status",
    "patient_id",
    "patient_name",
    "patient_phones",
    "doctor_name",
    "specialty",
    "services",
    "location_name",
    "location_address",
    "location_phone",
    "comment",
)
"""What a FHIR row offers to the mapping (see docs/integrations/fhir.md)."""

WRITABLE = frozenset({"status", "participant_status", "comment"})
CODES = {
    "status": frozenset(
        [
            "proposed",
            "pending",
            "booked",
            "arrived",
            "fulfilled",
            "cancelled",
            "noshow",
            "entered-in-error",
            "checked-in",
            "waitlist",
        ]
    ),
    "participant_status": frozenset({"accepted", "declined", "tentative", "needs-action"}),
}
"""The R4 value sets (required binding); the models check the type only, not the code."""
MODELS: dict[str, type[BaseModel]] = {
    "Patient": Patient,
    "Practitioner": Practitioner,
    "Location": Location,
}
JSON_TYPES = "application/fhir+json"


class FhirConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["fhir"]
    base_url: str
    auth: AuthConfig = Field(default_factory=NoAuthConfig)
    status: str = "booked"
    page_size: int = Field(100, ge=1, le=1000)
    rate: float = Field(10.0, gt=0)
    """Requests per second we allow ourselves against this server."""
    conflict_retries: int = Field(3, ge=1, le=10)
    timeout: float = 30.0


class FhirConnector(InterfaceConnector):
    Config = FhirConfig

    def __init__(self, config: FhirConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        secrets = Secrets()
        self.http = MisHttp(
            system=mis.name,
            base_url=config.base_url.rstrip("/") + "/",
            rate=config.rate,
            burst=2,
            auth=build_auth(config.auth, mis.name, secrets),
            secrets=secrets,
            timeout=config.timeout,
            headers={"Accept": JSON_TYPES},
            retry=HttpRetry(),
        )
        self.offer(FHIR_COLUMNS)
        unknown = set(mis.mapping.results.fields) - WRITABLE
        if unknown:
            raise MisError(
                f"{mis.name}: FHIR умеет записывать только {', '.join(sorted(WRITABLE))}; "
                f"лишние поля results: {', '.join(sorted(unknown))}"
            )

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        params = [
            ("date", "ge" + window.start.isoformat()),
            ("date", "lt" + window.end.isoformat()),
            ("status", self.config.status),
            ("_include", "Appointment:patient"),
            ("_include", "Appointment:practitioner"),
            ("_include", "Appointment:location"),
            ("_count", str(self.config.page_size)),
        ]
        query = "&".join(f"{k}={_quote(v)}" for k, v in params)
        request = PageRequest("GET", "Appointment?" + query)
        async for body, entries in pages(
            self.http, request, NextLinkPaging(_next_link), self._entries
        ):
            included = _included(body)
            yield [self._row(entry, included) for entry in entries]

    def _entries(self, body: Any, request: PageRequest) -> list[Any]:
        if not isinstance(body, Mapping) or body.get("resourceType") != "Bundle":
            kind = body.get("resourceType") if isinstance(body, Mapping) else type(body).__name__
            raise self.http.error(request.method, request.url, f"ожидался Bundle, пришёл {kind}")
        return [
            e
            for e in body.get("entry") or []
            if isinstance(e, Mapping)
            and (e.get("search") or {}).get("mode", "match") == "match"
            and (e.get("resource") or {}).get("resourceType") == "Appointment"
        ]

    def _row(self, entry: Mapping[str, Any], included: Mapping[str, Any]) -> RawRow:
        resource = entry.get("resource")
        label = str(resource.get("id", "?")) if isinstance(resource, Mapping) else "?"
        try:
            appointment = FhirAppointment.model_validate(resource)
        except ValidationError as exc:
            return _invalid(self.name, label, "Appointment", exc)
        row: dict[str, Any] = {
            "id": appointment.id,
            "start": appointment.start,
            "status": appointment.status,
            "comment": appointment.comment,
            "specialty": _concepts(appointment.specialty),
            "services": _concepts(appointment.serviceType),
        }
        for participant in appointment.participant or []:
            reference = participant.actor.reference if participant.actor else None
            if not reference or "/" not in reference:
                continue
            kind = reference.split("/")[-2]
            if kind not in MODELS:
                continue
            found = included.get(_ref_key(reference))
            if found is None:
                return RowError(
                    self.name, label, kind, f"{reference} не пришёл в _include (нет доступа?)"
                )
            try:
                model = MODELS[kind].model_validate(found)
            except ValidationError as exc:
                return _invalid(self.name, label, kind, exc)
            row.update(_flatten(kind, model))
        return label, row

    async def write(self, record: OutcomeRecord) -> None:
        values = self.mapper.result_fields(record)
        url = f"Appointment/{_quote(record.appointment_id)}"
        for name, allowed in CODES.items():
            if name in values and str(values[name]) not in allowed:
                raise self.http.error(
                    "PUT",
                    url,
                    f"{name}={values[name]!r} нет в справочнике FHIR R4 "
                    f"({', '.join(sorted(allowed))}); исправьте results.fields.{name}",
                )
        for attempt in range(1, self.config.conflict_retries + 1):
            current = await self.http.json("GET", url)
            if not isinstance(current, dict) or current.get("resourceType") != "Appointment":
                raise self.http.error("GET", url, "ответ не ресурс Appointment")
            version = (current.get("meta") or {}).get("versionId")
            updated = _apply(current, values)
            try:
                FhirAppointment.model_validate(updated)
            except ValidationError as exc:
                raise self.http.error(
                    "PUT", url, f"запись не прошла проверку FHIR R4: {_first_error(exc)}"
                ) from None
            headers = {"Content-Type": JSON_TYPES}
            if version:
                headers["If-Match"] = f'W/"{version}"'
            try:
                await self.http.json("PUT", url, json=updated, headers=headers)
                return
            except MisHttpError as exc:
                if exc.status != 412 or attempt == self.config.conflict_retries:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


def _apply(resource: dict[str, Any], values: Mapping[str, object]) -> dict[str, Any]:
    updated = dict(resource)
    if "status" in values:
        updated["status"] = str(values["status"])
    if "comment" in values:
        updated["comment"] = str(values["comment"])
    if "participant_status" in values:
        participants = []
        for participant in resource.get("participant") or []:
            reference = ((participant or {}).get("actor") or {}).get("reference", "")
            if str(reference).split("/")[-2:-1] == ["Patient"]:
                participant = {**participant, "status": str(values["participant_status"])}
            participants.append(participant)
        updated["participant"] = participants
    return updated


def _next_link(body: Any) -> str | None:
    for link in body.get("link") or [] if isinstance(body, Mapping) else []:
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None


def _included(body: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for entry in body.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if isinstance(resource, Mapping) and resource.get("resourceType") in MODELS:
            found[f"{resource['resourceType']}/{resource.get('id')}"] = resource
    return found


def _ref_key(reference: str) -> str:
    return "/".join(reference.split("/")[-2:])


def _flatten(kind: str, model: Any) -> dict[str, Any]:
    if kind == "Patient":
        return {
            "patient_id": model.id,
            "patient_name": _human_name(model.name),
            "patient_phones": _phones(model.telecom),
        }
    if kind == "Practitioner":
        return {"doctor_name": _human_name(model.name)}
    address = model.address
    return {
        "location_name": model.name,
        "location_address": (address.text or ", ".join(address.line or [])) if address else None,
        "location_phone": _phones(model.telecom),
    }


def _human_name(names: Any) -> str | None:
    if not names:
        return None
    chosen = next((n for n in names if n.use == "official"), names[0])
    if chosen.text:
        return str(chosen.text)
    return " ".join([chosen.family or "", *(chosen.given or [])]).strip() or None


def _phones(telecom: Any) -> str | None:
    """Mobile numbers first: the robot should reach the person, not the family landline."""
    phones = [t for t in telecom or [] if t.system == "phone" and t.value]
    phones.sort(key=lambda t: t.use != "mobile")
    return "; ".join(t.value for t in phones) or None


def _concept(concept: Any) -> str | None:
    if concept.text:
        return str(concept.text)
    for coding in concept.coding or []:
        if coding.display or coding.code:
            return str(coding.display or coding.code)
    return None


def _concepts(concepts: Any) -> str | None:
    return "; ".join(filter(None, [_concept(c) for c in concepts or []])) or None


def _invalid(source: str, label: str, kind: str, exc: ValidationError) -> RowError:
    return RowError(source, label, kind, f"ресурс не по FHIR R4: {_first_error(exc)}")


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"] if p != "__root__")
    return f"{where}: {error['msg']}" if where else str(error["msg"])


def _quote(value: str) -> str:
    return quote(value, safe="")
