"""A FAKE Renovatio (rnova) public API: what Dozvon uses, from its public documentation.

No Renovatio can run here. Reproduced, as the public API description and public integrations
show it (see docs/integrations/renovatio.md; the parameter names of `confirmAppointment` and
`cancelAppointment` come from public integrations and are not verified against a live server):

- `POST /api/public/<method>`, form-encoded, `api_key` in the form;
- answers `{"error": 0, "data": ...}`; failures `{"error": 1, "data": {"code": N, "desc": "..."}}`
  with HTTP 200 (a wrong key included);
- `getAppointments {date_from, date_to: "dd.mm.yyyy", show_patient_data}`: records with `id`,
  `patient_id`, `patient_name`, `patient_phone`, `doctor`, `time_start: "dd.mm.yyyy HH:MM"`,
  `status: upcoming|completed|refused`, `services: [{title, price, count}]`;
- `confirmAppointment {appointment_id}`, `cancelAppointment {appointment_id, comment}`.

Hostile modes: `html` (an error page with status 200), `broken_json`, `wrong_types`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import form_fields


def day_of(time_start: str) -> date:
    """The server stores whatever it was given; the day is the text before the space."""
    return datetime.strptime(time_start.split(" ")[0], "%d.%m.%Y").date()


def failure(code: int, desc: str) -> JSONResponse:
    return JSONResponse({"error": 1, "data": {"code": code, "desc": desc}})


@dataclass
class FakeRenovatio:
    api_key: str = "rnova-key-1234567"
    appointments: dict[int, dict[str, Any]] = field(default_factory=dict)
    mode: str = "ok"
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/api/public/{method}", self.endpoint, methods=["POST"])])

    async def endpoint(self, request: Request) -> Response:
        form = await form_fields(request)
        method = request.path_params["method"]
        self.calls.append((method, {k: v for k, v in form.items() if k != "api_key"}))
        if form.get("api_key") != self.api_key:
            return failure(401, "Неверный ключ API")
        if self.mode == "html":
            return Response(
                "<html><title>Технические работы</title></html>", 200, media_type="text/html"
            )
        if self.mode == "broken_json":
            return Response('{"error": 0, "data": [{"id": 1', 200, media_type="application/json")
        handler = {
            "getAppointments": self.get_appointments,
            "confirmAppointment": self.confirm,
            "cancelAppointment": self.cancel,
        }.get(method)
        if handler is None:
            return failure(404, f"Метод {method} не найден")
        return handler(form)

    def get_appointments(self, form: dict[str, str]) -> Response:
        try:
            start = datetime.strptime(form["date_from"], "%d.%m.%Y").date()
            end = datetime.strptime(form["date_to"], "%d.%m.%Y").date()
        except (KeyError, ValueError):
            return failure(400, "date_from/date_to: формат dd.mm.yyyy")
        chosen = [
            a
            for _, a in sorted(self.appointments.items())
            if start <= day_of(a["time_start"]) <= end
        ]
        if self.mode == "wrong_types":
            chosen = [{**a, "services": "ЭКГ"} for a in chosen]
        return JSONResponse({"error": 0, "data": chosen})

    def _find(self, form: dict[str, str]) -> dict[str, Any] | None:
        try:
            return self.appointments.get(int(form.get("appointment_id", "")))
        except ValueError:
            return None

    def confirm(self, form: dict[str, str]) -> Response:
        appointment = self._find(form)
        if appointment is None:
            return failure(404, "Запись не найдена")
        appointment["is_confirmed"] = 1
        return JSONResponse({"error": 0, "data": True})

    def cancel(self, form: dict[str, str]) -> Response:
        appointment = self._find(form)
        if appointment is None:
            return failure(404, "Запись не найдена")
        appointment["status"] = "refused"
        appointment["cancel_comment"] = form.get("comment", "")
        return JSONResponse({"error": 0, "data": True})
