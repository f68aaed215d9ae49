"""Renovatio (rnova): a ready-made adapter for an MIS with a public API.

Every call is `POST https://app.rnova.org/api/public/<method>`, form-encoded, with `api_key`.
Answers are `{"error": 0, "data": ...}`, or `{"error": 1, "data": {"code": ..., "desc": ...}}`
even with HTTP 200, so the `error` flag is checked on every answer.

Read: `getAppointments {date_from, date_to: "dd.mm.yyyy", show_patient_data: 1}`; the dates
are whole days, so the window is re-checked on `time_start` here. Only `upcoming` visits are
worklist; `refused` ones come through as cancelled. The row a mapping sees: the record's
scalar fields as they are (`id`, `patient_name`, `patient_phone`, `time_start`, `doctor`, ...)
plus `services` (titles joined by "; ").

Write: Renovatio keeps no call results of its own, so a confirmed visit is marked with
`confirmAppointment {appointment_id}`; optionally (`cancel_on_decline`) a declined one is
cancelled with `cancelAppointment`. Both are idempotent; other outcomes write nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dozvon.core.outcome import Outcome
from dozvon.mis.auth import SecretConfig
from dozvon.mis.base import OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import HttpRetry, MisHttp, Secrets
from dozvon.mis.interface import InterfaceConnector, scalar_problem
from dozvon.mis.source import RawRow

DATE = "%d.%m.%Y"
TIME = "%d.%m.%Y %H:%M"


class RenovatioConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["renovatio"]
    base_url: str = "https://app.rnova.org/api/public/"
    api_key: SecretConfig
    clinic_id: int | None = None
    statuses: list[str] = Field(default_factory=lambda: ["upcoming", "refused"])
    cancel_on_decline: bool = False
    cancel_comment: str = "Пациент отказался по звонку робота"
    rate: float = Field(3.0, gt=0)
    timeout: float = 30.0


class RenovatioConnector(InterfaceConnector):
    Config = RenovatioConfig

    def __init__(self, config: RenovatioConfig, mis: MisConfig) -> None:
        super().__init__(mis)
        self.config = config
        self.api_key = config.api_key.value()
        self.http = MisHttp(
            system=mis.name,
            base_url=config.base_url.rstrip("/") + "/",
            rate=config.rate,
            secrets=Secrets([self.api_key]),
            timeout=config.timeout,
            retry=HttpRetry(attempts=4, base_delay=1.0),
        )

    async def call(self, method: str, **fields: Any) -> Any:
        form = {"api_key": self.api_key, **{k: str(v) for k, v in fields.items()}}
        body = await self.http.json("POST", method, data=form)
        if not isinstance(body, dict) or "error" not in body:
            raise self.http.error("POST", method, "ответ не в формате {error, data}")
        if body["error"] not in (0, "0", False):
            data = body.get("data")
            detail = data if not isinstance(data, dict) else data.get("desc") or data
            code = data.get("code") if isinstance(data, dict) else None
            raise self.http.error("POST", method, f"Renovatio: ошибка {code or ''} {detail}")
        return body.get("data")

    async def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        zone = self.mapper.zone
        start = window.start.astimezone(zone)
        last = (window.end.astimezone(zone) - timedelta(microseconds=1)).date()
        fields: dict[str, Any] = {
            "date_from": start.strftime(DATE),
            "date_to": last.strftime(DATE),
            "show_patient_data": 1,
        }
        if self.config.clinic_id is not None:
            fields["clinic_id"] = self.config.clinic_id
        data = await self.call("getAppointments", **fields)
        if not isinstance(data, list):
            raise self.http.error("POST", "getAppointments", "data не список записей")
        rows = [self._row(n, item, window) for n, item in enumerate(data, start=1)]
        yield [r for r in rows if r is not None]

    def _row(self, n: int, item: Any, window: Window) -> RawRow | None:
        if not isinstance(item, Mapping):
            return RowError(self.name, n, None, f"запись не объект: {type(item).__name__}")
        label = str(item.get("id", n))
        status = str(item.get("status", ""))
        if status not in self.config.statuses:
            return None
        try:
            start = datetime.strptime(str(item.get("time_start")), TIME).replace(
                tzinfo=self.mapper.zone
            )
        except ValueError:
            value = str(item.get("time_start"))[:40]
            return RowError(
                self.name, label, "time_start", f"не дата «дд.мм.гггг чч:мм»: {value!r}"
            )
        if not window.start <= start < window.end:
            return None
        row: dict[str, Any] = {k: v for k, v in item.items() if scalar_problem(v) is None}
        row["start"] = start
        row["cancelled"] = "1" if status == "refused" else "0"
        services = item.get("services") or []
        if not isinstance(services, list):
            return RowError(self.name, label, "services", "ожидался список услуг")
        row["services"] = "; ".join(
            str(s.get("title")) for s in services if isinstance(s, Mapping) and s.get("title")
        )
        return label, row

    async def write(self, record: OutcomeRecord) -> None:
        if record.outcome is Outcome.CONFIRMED:
            await self.call("confirmAppointment", appointment_id=record.appointment_id)
        elif record.outcome is Outcome.DECLINED and self.config.cancel_on_decline:
            await self.call(
                "cancelAppointment",
                appointment_id=record.appointment_id,
                comment=self.config.cancel_comment,
            )
