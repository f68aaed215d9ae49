"""A FAKE SMS.ru: only the `sms/send` method, built from SMS.ru's public API documentation.

No SMS gateway can run here, so this reproduces the documented behaviour Dozvon depends on
(sms.ru/api/send and the list of status codes):

- `sms/send` with `api_id`, `to`, `msg`, `json=1` (GET query or POST form), optional `from`
  and `test`;
- the answer with json=1: `{"status": "OK", "status_code": 100, "sms": {"<number>":
  {"status": "OK", "status_code": 100, "sms_id": "000000-10000000"}}, "balance": …}`; a number
  that fails carries `{"status": "ERROR", "status_code": N, "status_text": "…"}` in `sms`;
- request-level errors: `{"status": "ERROR", "status_code": N, "status_text": "…"}` with
  200 wrong api_id, 203 no message text, 220 service temporarily unavailable;
- per-number errors: 202 wrong recipient number, 207 this number may not receive messages,
  230 the daily limit of messages to this number is exceeded (`per_number_daily` here, so a
  test stays short).

Hostile mode `html` is not SMS.ru's behaviour: it stands in for a proxy or maintenance page
that answers 200 with HTML.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tests.fakes.server import form_fields


@dataclass
class FakeSmsRu:
    api_id: str = "FAKE-API-ID-0000"
    unreachable: set[str] = field(default_factory=set)
    """Numbers answered with 207."""
    per_number_daily: int = 100
    mode: str = "ok"
    """ok, unavailable (220), html (a 200 HTML page)."""
    sent: list[tuple[str, str]] = field(default_factory=list)
    """(number, text) of every message accepted."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10000000))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/sms/send", self.send, methods=["GET", "POST"])])

    def texts_to(self, number: str) -> list[str]:
        with self._lock:
            return [text for to, text in self.sent if to == number]

    async def send(self, request: Request) -> Response:
        fields = dict(request.query_params)
        if request.method == "POST":
            fields.update(await form_fields(request))
        if self.mode == "html":
            return HTMLResponse("<html><body><h1>Технические работы</h1></body></html>")
        if self.mode == "unavailable":
            return _error(220, "Сервис временно недоступен, попробуйте чуть позже")
        if fields.get("api_id") != self.api_id:
            return _error(200, "Неправильный api_id")
        if not fields.get("msg"):
            return _error(203, "Нет текста сообщения")
        numbers = [n for n in fields.get("to", "").split(",") if n]
        results = {number: self._one(number, fields["msg"]) for number in numbers}
        return JSONResponse(
            {"status": "OK", "status_code": 100, "sms": results, "balance": 4122.56}
        )

    def _one(self, number: str, text: str) -> dict[str, Any]:
        if not number.isdigit() or len(number) != 11:
            return _entry(202, "Неправильно указан номер телефона получателя")
        if number in self.unreachable:
            return _entry(207, "На этот номер нельзя отправлять сообщения")
        with self._lock:
            if sum(1 for to, _ in self.sent if to == number) >= self.per_number_daily:
                return _entry(230, "Превышен общий лимит количества сообщений на этот номер в день")
            self.sent.append((number, text))
            sms_id = f"000000-{next(self._ids)}"
        return {"status": "OK", "status_code": 100, "sms_id": sms_id}


def _entry(code: int, text: str) -> dict[str, Any]:
    return {"status": "ERROR", "status_code": code, "status_text": text}


def _error(code: int, text: str) -> JSONResponse:
    return JSONResponse(_entry(code, text))
