"""Page-by-page reading: the three ways servers page (offset/page number, cursor, next link).

Connectors describe how one page's records and the way to the next page are found; `pages`
streams the records page by page under a `PageGuard`, so a server that ignores the paging
parameters or hands back the same next link fails loudly instead of looping for ever.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import httpx

from dozvon.mis.http import MisHttp, PageGuard


@dataclass(frozen=True)
class PageRequest:
    method: str
    url: str
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Any = None
    data: Mapping[str, Any] | None = None

    def with_params(self, **more: Any) -> PageRequest:
        return replace(self, params={**self.params, **more})


class Paging(Protocol):
    def first(self, request: PageRequest) -> PageRequest: ...

    def next(self, request: PageRequest, body: Any, items: list[Any]) -> PageRequest | None: ...


@dataclass(frozen=True)
class OffsetPaging:
    """`offset`+`limit` (or `page`+`size` with `unit="page"`); a short page is the last one."""

    offset_param: str
    limit_param: str | None
    size: int
    start: int = 0
    unit: Literal["item", "page"] = "item"
    where: Literal["params", "json"] = "params"

    def _put(self, request: PageRequest, values: dict[str, Any]) -> PageRequest:
        if self.where == "json":
            return replace(request, json={**(request.json or {}), **values})
        return request.with_params(**values)

    def first(self, request: PageRequest) -> PageRequest:
        values: dict[str, Any] = {self.offset_param: self.start}
        if self.limit_param:
            values[self.limit_param] = self.size
        return self._put(request, values)

    def next(self, request: PageRequest, body: Any, items: list[Any]) -> PageRequest | None:
        if len(items) < self.size:
            return None
        holder = request.json if self.where == "json" else request.params
        current = int(holder[self.offset_param])
        step = 1 if self.unit == "page" else len(items)
        return self._put(request, {self.offset_param: current + step})


@dataclass(frozen=True)
class CursorPaging:
    """The answer names the next position (Bitrix24's `next`, many APIs' `cursor`)."""

    param: str
    cursor: Callable[[Any], Any]
    where: Literal["params", "json"] = "params"

    def first(self, request: PageRequest) -> PageRequest:
        return request

    def next(self, request: PageRequest, body: Any, items: list[Any]) -> PageRequest | None:
        value = self.cursor(body)
        if value in (None, "", False) or not items:
            return None
        if self.where == "json":
            return replace(request, json={**(request.json or {}), self.param: value})
        return request.with_params(**{self.param: value})


@dataclass(frozen=True)
class NextLinkPaging:
    """The answer carries the full URL of the next page (FHIR Bundle.link, amoCRM `_links`)."""

    link: Callable[[Any], str | None]

    def first(self, request: PageRequest) -> PageRequest:
        return request

    def next(self, request: PageRequest, body: Any, items: list[Any]) -> PageRequest | None:
        url = self.link(body)
        if not url:
            return None
        return PageRequest("GET", url)


@dataclass(frozen=True)
class NoPaging:
    def first(self, request: PageRequest) -> PageRequest:
        return request

    def next(self, request: PageRequest, body: Any, items: list[Any]) -> PageRequest | None:
        return None


ItemsOf = Callable[[Any, PageRequest], list[Any]]
"""Pulls one page's records out of its decoded body; raises `MisError` when the shape is wrong."""


async def pages(
    http: MisHttp,
    request: PageRequest,
    paging: Paging,
    items_of: ItemsOf,
    *,
    max_pages: int = 10_000,
) -> AsyncIterator[tuple[Any, list[Any]]]:
    """Yield (decoded body, records) per page, in order, until the paging says stop."""
    guard = PageGuard(http, max_pages)
    current: PageRequest | None = paging.first(request)
    while current is not None:
        # httpx would replace a query already in the URL template; merge instead.
        url = httpx.URL(current.url)
        if current.params:
            url = url.copy_merge_params(dict(current.params))
        guard.request(current.method, url, None, current.json or current.data)
        body = await http.json(current.method, url, json=current.json, data=current.data)
        items = [] if body is None else items_of(body, current)
        guard.items(current.method, url, items)
        yield body, items
        current = paging.next(current, body, items) if body is not None else None
