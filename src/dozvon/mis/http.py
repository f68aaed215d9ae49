"""HTTP plumbing every interface connector shares: limits, retries, decoding, honest errors.

A clinic system is someone else's server with its own quota. So each connector owns one
`MisHttp`: a per-system token bucket keeps us under the documented rate, 429/503 and network
failures are retried a bounded number of times with backoff (honouring Retry-After), and every
answer is checked before use: an HTML page with status 200 (a proxy's login or error page) or
broken JSON/XML is an error, not an empty worklist. Errors name the system and the request;
tokens, webhook secrets and passwords are masked before any text leaves this module.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import httpx

from dozvon.mis.base import MisError

MASK = "***"
SENSITIVE_PARAMS = re.compile(
    r"(token|secret|password|passwd|pwd|api[_-]?key|apikey|auth|signature|client_secret|code)",
    re.IGNORECASE,
)
_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body)", re.IGNORECASE)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
SNIPPET = 160
clock = time.monotonic
pause = asyncio.sleep
"""Module-level so tests can put the limiter and the backoff on a fake clock."""


_NOT_ABOUT_THE_RECORD = frozenset({401, 403, 407, 408, 429})
"""4xx answers that speak of our credentials or the server's load, not of the record sent."""


def _refuses_the_record(status: int | None) -> bool:
    return status is not None and 400 <= status < 500 and status not in _NOT_ABOUT_THE_RECORD


class MisHttpError(MisError):
    """A request failed; `status` is the HTTP status when there was an answer at all."""

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        super().__init__(message, record_only=_refuses_the_record(status))
        self.status = status
        self.body = body


class Secrets:
    """The secret strings of one connection; anything shown to a person goes through `mask`.

    Mutable on purpose: an OAuth2 refresh adds the new tokens while the connection is open.
    """

    def __init__(self, values: Iterable[str | None] = ()) -> None:
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self._values.add(value)

    def mask(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text

    def mask_url(self, url: str | httpx.URL) -> str:
        """Mask known secrets, credentials in the authority and sensitive query parameters."""
        parts = urlsplit(str(url))
        netloc = parts.netloc
        if "@" in netloc:
            netloc = MASK + "@" + netloc.rsplit("@", 1)[1]
        query = urlencode(
            [
                (k, MASK if SENSITIVE_PARAMS.search(k) else v)
                for k, v in parse_qsl(parts.query, keep_blank_values=True)
            ],
            safe="*[]$:,'()",
        )
        path = unquote(parts.path)  # Cyrillic 1C object names stay readable
        return self.mask(urlunsplit((parts.scheme, netloc, path, query, "")))


class RateLimiter:
    """A token bucket: `rate` requests per second on average, at most `burst` at once.

    One per remote system, shared by every request of that connection, so a read and a
    write-back running together still stay under the system's quota.
    """

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1, burst)
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = clock()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await pause(max((1 - self._tokens) / self.rate, 0.001))

    def penalise(self, seconds: float) -> None:
        """The server said we were too fast: drain the bucket so the next request waits."""
        self._tokens = min(self._tokens, 0.0) - seconds * self.rate


@dataclass(frozen=True)
class HttpRetry:
    """Bounded retries: a clinic system that is down must fail the sync, not hang it."""

    attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 20.0
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(self.max_delay, max(0.0, float(retry_after)))
            except ValueError:
                pass
        backoff = self.base_delay * (2 ** (attempt - 1))
        return float(min(self.max_delay, backoff * (1 + random.random() / 4)))


RetryCheck = Callable[[httpx.Response], bool]
"""Decides if an answer is a transient refusal (e.g. Bitrix24's QUERY_LIMIT_EXCEEDED)."""


@dataclass
class MisHttp:
    """One connection to one clinic system over HTTP; open with `async with`."""

    system: str
    base_url: str = ""
    rate: float = 5.0
    burst: int = 1
    retry: HttpRetry = field(default_factory=HttpRetry)
    auth: httpx.Auth | None = None
    secrets: Secrets = field(default_factory=Secrets)
    timeout: float = 30.0
    headers: Mapping[str, str] = field(default_factory=dict)
    verify: bool | str = True
    transient: RetryCheck | None = None
    transport: httpx.AsyncBaseTransport | None = None
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)
    limiter: RateLimiter = field(init=False)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.rate, self.burst)

    async def __aenter__(self) -> MisHttp:
        self.client()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                auth=self.auth,
                timeout=self.timeout,
                headers=dict(self.headers),
                verify=self.verify,
                transport=self.transport,
                follow_redirects=False,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def describe(self, method: str, url: str | httpx.URL, params: Any = None) -> str:
        full = self.client().build_request(method, url, params=params).url
        return f"{method} {self.secrets.mask_url(full)}"

    def error(
        self,
        method: str,
        url: str | httpx.URL,
        reason: str,
        *,
        status: int | None = None,
        body: Any = None,
        params: Any = None,
    ) -> MisHttpError:
        where = self.describe(method, url, params)
        text = f"{self.system}: {where}: {self.secrets.mask(reason)}"
        return MisHttpError(text, status=status, body=body)

    async def request(self, method: str, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        """Send with rate limiting and bounded retries; a final failure is a `MisHttpError`."""
        client = self.client()
        self._same_origin(method, url)
        for attempt in range(1, self.retry.attempts + 1):
            await self.limiter.acquire()
            try:
                response = await client.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                reason = f"нет связи ({type(exc).__name__}: {exc})"
                if attempt == self.retry.attempts:
                    raise self.error(
                        method, url, reason + f"; попыток: {attempt}", params=kwargs.get("params")
                    ) from None
                await pause(self.retry.delay(attempt))
                continue
            except httpx.HTTPError as exc:
                raise self.error(
                    method, url, f"{type(exc).__name__}: {exc}", params=kwargs.get("params")
                ) from None
            if self._is_transient(response):
                if attempt == self.retry.attempts:
                    raise self.error(
                        method,
                        url,
                        f"сервер занят или ограничил частоту (HTTP {response.status_code}: "
                        f"{snippet(response.content)}); попыток: {attempt}",
                        status=response.status_code,
                        params=kwargs.get("params"),
                    )
                wait = self.retry.delay(attempt, response.headers.get("Retry-After"))
                self.limiter.penalise(wait)
                await pause(wait)
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _same_origin(self, method: str, url: str | httpx.URL) -> None:
        """A next link from the answer must not carry our credentials to another server."""
        target = httpx.URL(str(url))
        if not self.base_url or not target.is_absolute_url:
            return
        base = httpx.URL(self.base_url)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            raise self.error(method, url, "ссылка из ответа ведёт на другой сервер: не идём")

    def _is_transient(self, response: httpx.Response) -> bool:
        if self.transient is not None:
            return self.transient(response)
        return response.status_code in self.retry.statuses

    async def json(
        self, method: str, url: str | httpx.URL, *, ok: Iterable[int] = (200, 201), **kwargs: Any
    ) -> Any:
        """The decoded JSON answer; `None` for 204 No Content (an empty list in amoCRM)."""
        response = await self.request(method, url, **kwargs)
        return self.decode_json(response, ok=ok)

    def decode_json(self, response: httpx.Response, *, ok: Iterable[int] = (200, 201)) -> Any:
        method, url = response.request.method, response.request.url
        if response.status_code == 204:
            return None
        body = response.content
        if response.status_code not in set(ok):
            raise self.error(
                method,
                url,
                f"HTTP {response.status_code}: {snippet(body)}",
                status=response.status_code,
                body=_try_json(body),
            )
        reject_html(body, lambda reason: self.error(method, url, reason, status=200))
        try:
            return json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise self.error(
                method, url, f"ответ не JSON ({exc}): {snippet(body)}", status=response.status_code
            ) from None

    async def content(
        self, method: str, url: str | httpx.URL, *, ok: Iterable[int] = (200, 201), **kwargs: Any
    ) -> bytes:
        """The raw answer body of a successful request (XML and text protocols)."""
        response = await self.request(method, url, **kwargs)
        if response.status_code not in set(ok):
            raise self.error(
                method,
                url,
                f"HTTP {response.status_code}: {snippet(response.content)}",
                status=response.status_code,
            )
        reject_html(
            response.content,
            lambda reason: self.error(method, url, reason, status=response.status_code),
        )
        return response.content


def reject_html(body: bytes, fail: Callable[[str], Exception]) -> None:
    """An HTML page where data was expected: a proxy, login form or PHP error page."""
    if _HTML_START.match(body.lstrip(b"\xef\xbb\xbf")):
        title = _TITLE.search(body)
        named = title.group(1).decode("utf-8", "replace").strip() if title else ""
        raise fail(
            "вместо данных пришла HTML-страница (часто страница входа или ошибки прокси)"
            + (f": «{named[:80]}»" if named else "")
        )


def snippet(body: bytes) -> str:
    text = body[:SNIPPET].decode("utf-8", "replace").replace("\n", " ").strip()
    return text + ("…" if len(body) > SNIPPET else "") if text else "(пустой ответ)"


def _try_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


class PageGuard:
    """Stops a read whose server hands back the same page (or next link) again and again."""

    def __init__(self, http: MisHttp, max_pages: int = 10_000) -> None:
        self.http = http
        self.max_pages = max_pages
        self._requests: set[str] = set()
        self._pages: set[str] = set()
        self.pages = 0

    def request(
        self, method: str, url: str | httpx.URL, params: Any = None, body: Any = None
    ) -> None:
        """Call before each page request; the same request twice means a paging loop."""
        key = str(self.http.client().build_request(method, url, params=params).url)
        key += " " + json.dumps(body, sort_keys=True, default=str)
        if key in self._requests:
            raise self.http.error(method, url, "страница запрошена повторно: выдача зациклилась")
        self._requests.add(key)
        self.pages += 1
        if self.pages > self.max_pages:
            raise self.http.error(method, url, f"больше {self.max_pages} страниц: остановлено")

    def items(self, method: str, url: str | httpx.URL, items: list[Any]) -> None:
        """Call with each page's records: the same records twice means paging is ignored."""
        if not items:
            return
        digest = hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()
        if digest in self._pages:
            raise self.http.error(
                method, url, "сервер вернул те же записи ещё раз: постраничная выдача зациклилась"
            )
        self._pages.add(digest)
