"""A FAKE Telegram Bot API: the methods Dozvon uses, built from core.telegram.org/bots/api.

Telegram cannot run here, so this reproduces the documented behaviour:

- requests `POST /bot<token>/<method>` with a JSON body; every answer is the envelope
  `{"ok": true, "result": …}` or `{"ok": false, "error_code": N, "description": "…"}`, with the
  HTTP status equal to error_code;
- a wrong token: 401 "Unauthorized"; an unknown chat: 400 "Bad Request: chat not found"; a user
  who blocked the bot: 403 "Forbidden: bot was blocked by the user";
- flood control: 429 "Too Many Requests: retry after N" with `"parameters": {"retry_after": N}`
  (`flood` next requests are refused so);
- `sendMessage {chat_id, text, reply_markup}` → the Message (message_id, date, chat, text,
  reply_markup);
- `getUpdates {offset, timeout, allowed_updates}` long polling: updates with update_id ≥ offset,
  waiting up to `timeout` seconds when there are none; an offset confirms (drops) every update
  below it;
- `answerCallbackQuery {callback_query_id}` → true;
- updates: `callback_query {id, from, message {message_id, chat}, chat_instance, data}` when a
  user presses an inline button, `message {message_id, from, chat, date, text}` when they type,
  `message {…, contact {phone_number, first_name, user_id}}` when they share a contact (a
  `request_contact` button sends their own, with `user_id` = their id); a user who writes to
  the bot opens the chat, so it can be written to;
- `setWebhook {url, secret_token, allowed_updates}` → true; the URL must be HTTPS and the
  secret 1-256 characters of A-Z, a-z, 0-9, _ and - (the descriptions of these two errors are
  not documented, the fake's wording is its own); while a webhook is set, getUpdates answers
  409 Conflict; `deleteWebhook` → true;
- a webhook delivery is an HTTPS POST of one Update as JSON with the header
  X-Telegram-Bot-Api-Secret-Token; an answer other than 2XX is repeated later, so the update
  stays queued. `deliver_webhook(via=…)` sends to the registered URL's path on `via`: the
  reverse proxy that terminates TLS in front of Dozvon.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MAX_POLL_SECONDS = 5.0
"""The fake waits at most this long on a long poll, whatever `timeout` asks."""
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class FakeBotApi:
    token: str = "123456:FAKE-token"
    chats: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    flood: int = 0
    retry_after: int = 1
    sent: list[dict[str, Any]] = field(default_factory=list)
    answered_queries: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    webhook: dict[str, Any] | None = None
    """The last setWebhook payload; None when no webhook is set."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.endpoint, methods=["POST"])])

    # -- what a patient does ------------------------------------------------------------------

    def messages_to(self, chat: int) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if m["chat"]["id"] == chat]

    def press(self, chat: int, data: str) -> None:
        last = self.messages_to(chat)[-1]
        with self._lock:
            update_id = next(self._ids)
            self.updates.append(
                {
                    "update_id": update_id,
                    "callback_query": {
                        "id": f"q{update_id}",
                        "from": {"id": chat, "is_bot": False, "first_name": "Пациент"},
                        "message": {"message_id": last["message_id"], "chat": last["chat"]},
                        "chat_instance": "1",
                        "data": data,
                    },
                }
            )

    def type_text(self, chat: int, text: str) -> None:
        self._message(chat, {"text": text})

    def share_contact(self, chat: int, phone: str, user_id: int | None = None) -> None:
        """`user_id` None: a contact card without a Telegram account (typed in by hand)."""
        contact: dict[str, Any] = {"phone_number": phone, "first_name": "Пациент"}
        if user_id is not None:
            contact["user_id"] = user_id
        self._message(chat, {"contact": contact})

    def _message(self, chat: int, content: dict[str, Any]) -> None:
        with self._lock:
            self.chats.add(chat)
            update_id = next(self._ids)
            self.updates.append(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": update_id,
                        "from": {"id": chat, "is_bot": False, "first_name": "Пациент"},
                        "chat": {"id": chat, "type": "private"},
                        "date": int(time.time()),
                        **content,
                    },
                }
            )

    async def deliver_webhook(self, via: str) -> list[int]:
        """POST every queued update to the webhook; the HTTP status of each. An update answered
        2XX is done, any other stays queued for the next delivery."""
        assert self.webhook is not None, "no webhook set"
        target = urlsplit(self.webhook["url"])
        url = via.rstrip("/") + (target.path or "/")
        headers = {}
        if self.webhook.get("secret_token"):
            headers[SECRET_HEADER] = self.webhook["secret_token"]
        with self._lock:
            pending = list(self.updates)
        statuses = []
        async with httpx.AsyncClient() as client:
            for update in pending:
                response = await client.post(url, json=update, headers=headers, timeout=10)
                statuses.append(response.status_code)
                if response.is_success:
                    with self._lock:
                        self.updates.remove(update)
        return statuses

    # -- the API ------------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        with self._lock:
            self.requests.append(method)
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        try:
            payload = json.loads(await request.body() or b"{}")
        except ValueError:
            return _error(400, "Bad Request: can't parse JSON")
        with self._lock:
            if self.flood > 0:
                self.flood -= 1
                return _error(
                    429,
                    f"Too Many Requests: retry after {self.retry_after}",
                    {"retry_after": self.retry_after},
                )
        if method == "sendMessage":
            return self._send(payload)
        if method == "getUpdates":
            if self.webhook is not None:
                return _error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            return await self._updates(payload)
        if method == "setWebhook":
            return self._set_webhook(payload)
        if method == "deleteWebhook":
            self.webhook = None
            return JSONResponse({"ok": True, "result": True})
        if method == "answerCallbackQuery":
            with self._lock:
                self.answered_queries.append(str(payload.get("callback_query_id")))
            return JSONResponse({"ok": True, "result": True})
        return _error(404, "Not Found")

    def _send(self, payload: dict[str, Any]) -> JSONResponse:
        chat = payload.get("chat_id")
        if chat in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat not in self.chats:
            return _error(400, "Bad Request: chat not found")
        if not payload.get("text"):
            return _error(400, "Bad Request: message text is empty")
        with self._lock:
            message = {
                "message_id": next(self._ids),
                "date": int(time.time()),
                "chat": {"id": chat, "type": "private"},
                "text": payload["text"],
            }
            if "reply_markup" in payload:
                message["reply_markup"] = payload["reply_markup"]
            self.sent.append(message)
        return JSONResponse({"ok": True, "result": message})

    def _set_webhook(self, payload: dict[str, Any]) -> JSONResponse:
        url = str(payload.get("url", ""))
        if url == "":
            self.webhook = None
            return JSONResponse({"ok": True, "result": True})
        if not url.startswith("https://"):
            return _error(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = payload.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(str(secret)):
            return _error(
                400, "Bad Request: bad webhook: secret token contains unallowed characters"
            )
        self.webhook = payload
        return JSONResponse({"ok": True, "result": True})

    async def _updates(self, payload: dict[str, Any]) -> JSONResponse:
        offset = int(payload.get("offset", 0))
        deadline = time.monotonic() + min(float(payload.get("timeout", 0)), MAX_POLL_SECONDS)
        while True:
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = list(self.updates)
            if ready or time.monotonic() >= deadline:
                return JSONResponse({"ok": True, "result": ready})
            await asyncio.sleep(0.02)


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=code)
