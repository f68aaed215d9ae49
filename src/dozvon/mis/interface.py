"""What every interface connector (REST, CRM, OData, FHIR, XML, HL7) shares.

They are asynchronous by nature, so unlike the table connectors they need no worker thread:
a subclass yields raw rows page by page (`pages_of_rows`), and this base maps each page with
the clinic's declarative mapping, applies the selection mode, drops visits outside the window
(a dropped-in file or a lenient server may hold more), and catches an appointment id that
comes back on a later page (the mapping sees one page at a time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel

from dozvon.core.appointment import Appointment
from dozvon.core.rules.retry import RetryPolicy
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.http import MisHttp
from dozvon.mis.mapping import Mapper
from dozvon.mis.selection import select
from dozvon.mis.source import RawRow


class InterfaceConnector:
    """Open with `async with` (or call `aclose`): it holds a connection pool to the MIS."""

    Config: ClassVar[type[BaseModel]]

    def __init__(self, mis: MisConfig) -> None:
        self.mis = mis
        self.name = mis.name
        self.mapper = Mapper(mis.mapping, mis.name)
        self.policy = RetryPolicy(max_attempts=mis.max_attempts)
        self.offered_columns: frozenset[str] = mis.mapping.mis_columns
        """What rows offer; JSON APIs omit empty fields, so by default whatever the mapping
        names counts as offered, and an absent field reads as empty."""

    def offer(self, columns: Iterable[str]) -> None:
        """A connector with a fixed set of columns: a mapping naming others fails at start."""
        self.offered_columns = frozenset(columns)
        failure = self.mapper.bind_columns(self.offered_columns)
        if failure is not None:
            raise MisError(str(failure))

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        http = getattr(self, "http", None)
        if isinstance(http, MisHttp):
            await http.aclose()

    def pages_of_rows(self, window: Window) -> AsyncIterator[list[RawRow]]:
        raise NotImplementedError

    async def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]:
        seen: dict[str, int] = {}
        page_no = 0
        async for page in self.pages_of_rows(window):
            page_no += 1
            mapped = self.mapper.map_rows(page, self.offered_columns)
            for item in select(mapped, self.mis.selection, self.policy):
                if isinstance(item, Appointment):
                    if not window.start <= item.start < window.end:
                        continue  # a file or a lenient server may hand out more than asked
                    first = seen.setdefault(item.external_id, page_no)
                    if first != page_no:
                        yield RowError(
                            self.name,
                            item.external_id,
                            "external_id",
                            f"повтор id записи {item.external_id!r} (уже была на странице {first})",
                        )
                        continue
                yield item

    async def write(self, record: OutcomeRecord) -> None:
        raise NotImplementedError

    async def check(self, window: Window) -> list[str]:
        """Read the first page only: proves address, credentials and mapping, changes nothing."""
        report = []
        async for page in self.pages_of_rows(window):
            errors = [i for i in page if isinstance(i, RowError)]
            report.append(f"{self.name}: связь есть, первая страница: {len(page)} записей")
            report.extend(str(e) for e in errors[:5])
            break
        else:
            report.append(f"{self.name}: связь есть, записей за период нет")
        return report


def scalar_problem(value: Any) -> str | None:
    """A value a mapping cannot use as text: an object or a list of objects."""
    if isinstance(value, Mapping) or (
        isinstance(value, list) and any(isinstance(v, Mapping | list) for v in value)
    ):
        return f"ожидалось простое значение, а пришёл {type(value).__name__}"
    return None
