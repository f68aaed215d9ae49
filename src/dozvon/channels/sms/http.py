"""A generic HTTP SMS gateway, described in the config by templates and a success test.

Reuses the MIS connectors' request templates (`{name}` placeholders only, URL values escaped)
and JSONPath. A 200 alone is never taken as success: gateways answer errors, and proxies
answer maintenance pages, with 200.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from dozvon.channels.text.conversation import DeliveryFailed
from dozvon.channels.text.redact import hide_in_logs
from dozvon.config.channels import HttpSmsSettings
from dozvon.core.outcome import Outcome
from dozvon.core.phone import mask_phone
from dozvon.mis.jsonpaths import compile_path, first
from dozvon.mis.templates import render_json, render_text, render_url

log = logging.getLogger(__name__)
SHOWN_BODY = 80
"""How much of an unexpected response the error keeps: enough to recognise an HTML page."""


async def gateway_request(
    http: httpx.AsyncClient, name: str, method: str, url: str, **request: Any
) -> httpx.Response:
    """A 2xx response, else `DeliveryFailed`: what every HTTP gateway does before reading it."""
    try:
        response = await http.request(method, url, **request)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(Outcome.NETWORK_ERROR, f"{name} недоступен: {exc!r}") from None
    if response.status_code == 429:
        raise DeliveryFailed(Outcome.NETWORK_ERROR, f"{name} ограничил частоту (HTTP 429)")
    if not response.is_success:
        raise DeliveryFailed(Outcome.NETWORK_ERROR, f"{name} ответил HTTP {response.status_code}")
    return response


def json_body(response: httpx.Response, name: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise DeliveryFailed(
            Outcome.NETWORK_ERROR, f"ответ {name} не JSON: «{excerpt(response)}»"
        ) from None


def excerpt(response: httpx.Response) -> str:
    return " ".join(response.text[:SHOWN_BODY].split())


class HttpGateway:
    def __init__(self, settings: HttpSmsSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.AsyncClient(follow_redirects=False)
        self._success_path = compile_path(settings.success_path) if settings.success_path else None
        self._success_regex = re.compile(settings.success_regex) if settings.success_regex else None
        self._id_path = compile_path(settings.message_id_path) if settings.message_id_path else None
        if settings.token is not None:
            hide_in_logs(settings.token.get_secret_value())

    async def aclose(self) -> None:
        await self.http.aclose()

    def _values(self, phone: str, text: str) -> dict[str, object]:
        token = self.settings.token.get_secret_value() if self.settings.token else ""
        return {
            "phone": phone,
            "phone_digits": phone.removeprefix("+"),
            "text": text,
            "sender": self.settings.sender,
            "token": token,
        }

    async def send(self, phone: str, text: str) -> str:
        values = self._values(phone, text)
        fields = render_json(self.settings.fields, values)
        headers = {k: render_text(v, values, lambda s: s) for k, v in self.settings.headers.items()}
        request: dict[str, Any] = {
            "headers": headers,
            "timeout": self.settings.timeout.total_seconds(),
        }
        if self.settings.body == "json":
            request["json"] = fields
        elif self.settings.body == "form":
            request["data"] = fields
        else:
            request["params"] = fields
        url = render_url(self.settings.url, values)
        response = await gateway_request(self.http, "шлюз", self.settings.method, url, **request)
        message_id = self._judge(response)
        log.info("sms sent", extra={"phone": mask_phone(phone), "message_id": message_id})
        return message_id

    def _judge(self, response: httpx.Response) -> str:
        body: Any = None
        if self._success_path is not None or self._id_path is not None:
            body = json_body(response, "шлюза")
        if self._success_path is not None:
            value = first(self._success_path, body)
            if str(value) not in self.settings.success_values:
                raise DeliveryFailed(
                    Outcome.NETWORK_ERROR,
                    f"шлюз не принял SMS: {self.settings.success_path} = {value!r}",
                )
        if self._success_regex is not None and not self._success_regex.search(response.text):
            raise DeliveryFailed(
                Outcome.NETWORK_ERROR, f"шлюз не принял SMS: «{excerpt(response)}»"
            )
        if self._id_path is None:
            return ""
        found = first(self._id_path, body)
        return "" if found is None else str(found)
