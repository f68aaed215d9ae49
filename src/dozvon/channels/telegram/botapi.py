"""A small Bot API client (core.telegram.org/bots/api): POST https://api.telegram.org/bot<token>/
<method> with a JSON body; every answer is `{"ok": true, "result": …}` or `{"ok": false,
"error_code": …, "description": …, "parameters": {"retry_after": …}}`.

Three methods are all Dozvon needs, so a framework (aiogram, python-telegram-bot) would bring
its own loop, router and storage for nothing; httpx is already a dependency.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from dozvon.channels.text.redact import hide_in_logs

log = logging.getLogger(__name__)


class BotApiError(Exception):
    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after


class BotApi:
    def __init__(
        self,
        token: str,
        api_url: str = "https://api.telegram.org",
        *,
        max_retry_wait: float = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        hide_in_logs(token)
        self.max_retry_wait = max_retry_wait
        self.http = http or httpx.AsyncClient(follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(self, method: str, payload: dict[str, Any], timeout: float = 15.0) -> Any:
        """The `result`; a 429 is waited out once when its retry_after is short enough."""
        try:
            return await self._call(method, payload, timeout)
        except BotApiError as exc:
            wait = exc.retry_after
            if exc.code != 429 or wait is None or wait > self.max_retry_wait:
                raise
            log.warning("telegram flood control", extra={"method": method, "retry_after": wait})
            await asyncio.sleep(wait)
            return await self._call(method, payload, timeout)

    async def _call(self, method: str, payload: dict[str, Any], timeout: float) -> Any:
        try:
            response = await self.http.post(self._base + method, json=payload, timeout=timeout)
        except httpx.HTTPError as exc:
            # The URL holds the token: the error names the method only.
            raise BotApiError(0, f"{method}: нет связи с Bot API ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            raise BotApiError(response.status_code, f"{method}: ответ не в формате Bot API")
        if body["ok"] is True:
            return body.get("result")
        parameters = body.get("parameters") or {}
        retry = parameters.get("retry_after") if isinstance(parameters, dict) else None
        raise BotApiError(
            int(body.get("error_code") or response.status_code),
            str(body.get("description") or ""),
            float(retry) if isinstance(retry, int | float) else None,
        )
