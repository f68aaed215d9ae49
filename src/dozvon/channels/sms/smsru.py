"""SMS.ru, from its public API documentation (sms.ru/api/send, the status codes list).

POST sms/send with api_id, to, msg, json=1 (POST keeps the key out of proxy logs). The answer
has a request-level status and one per number:
`{"status": "OK", "status_code": 100, "sms": {"7925…": {"status": "OK", "status_code": 100,
"sms_id": "000000-10000000"}}, "balance": 4122.56}`; an error carries status "ERROR", its code
and status_text.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from dozvon.channels.sms.http import gateway_request, json_body
from dozvon.channels.text.conversation import DeliveryFailed
from dozvon.config.channels import SmsRuSettings
from dozvon.core.outcome import Outcome
from dozvon.core.phone import mask_phone

log = logging.getLogger(__name__)

ACCEPTED = 100
BAD_NUMBER = frozenset({202, 207})
"""202 wrong recipient number or no route; 207 this number may not receive messages."""
STOP_LISTED = 209
"""The clinic's own account put the number on its stop list."""
LIMITS = frozenset({206, 230, 231, 232, 233})
"""Daily account limit; per-number limits (all messages, identical per minute / per day,
repeated codes). Another attempt later may pass."""
TRANSIENT = frozenset({220, 500})
"""Service temporarily unavailable; server error, repeat the request."""


def outcome_of(code: int) -> Outcome:
    if code in BAD_NUMBER:
        return Outcome.INVALID_NUMBER
    if code == STOP_LISTED:
        return Outcome.REJECTED
    return Outcome.NETWORK_ERROR


def failure(entry: dict[str, Any]) -> DeliveryFailed:
    code = int(entry.get("status_code") or 0)
    text = str(entry.get("status_text") or "")
    if code in LIMITS:
        kind = "лимит SMS.ru"
    elif code in TRANSIENT or code in BAD_NUMBER or code == STOP_LISTED:
        kind = "SMS.ru"
    else:
        kind = "SMS.ru, проверьте настройки"
        log.error("sms.ru refused the request", extra={"status_code": code, "text": text})
    return DeliveryFailed(outcome_of(code), f"{kind}: код {code} {text}".strip())


class SmsRuGateway:
    def __init__(self, settings: SmsRuSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.http = http or httpx.AsyncClient(follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def send(self, phone: str, text: str) -> str:
        to = phone.removeprefix("+")
        form = {
            "api_id": self.settings.api_key.get_secret_value(),
            "to": to,
            "msg": text,
            "json": "1",
        }
        if self.settings.sender:
            form["from"] = self.settings.sender
        if self.settings.test:
            form["test"] = "1"
        timeout = self.settings.timeout.total_seconds()
        response = await gateway_request(
            self.http, "SMS.ru", "POST", self.settings.url, data=form, timeout=timeout
        )
        body = json_body(response, "SMS.ru")
        if not isinstance(body, dict) or body.get("status") != "OK":
            raise failure(body if isinstance(body, dict) else {})
        entry = (body.get("sms") or {}).get(to)
        if not isinstance(entry, dict):
            raise DeliveryFailed(Outcome.NETWORK_ERROR, "в ответе SMS.ru нет этого номера")
        if entry.get("status") != "OK" or entry.get("status_code") != ACCEPTED:
            raise failure(entry)
        message_id = str(entry.get("sms_id", ""))
        log.info("sms sent", extra={"phone": mask_phone(phone), "message_id": message_id})
        return message_id
