"""What every table-shaped connector shares: blocking reads in one worker thread, mapped rows out.

Drivers here are blocking (pymysql, pyodbc, firebird, dbf, calamine), and some refuse to be
used from a thread other than the one that opened them (sqlite3, pyodbc with some drivers).
So each fetch and each write runs on a single dedicated worker thread, rows cross to the event
loop in small batches, and at most a couple of batches are in flight: a 100k-row worklist is
never held in memory whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Protocol, TypeVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome
from dozvon.core.rules.retry import RetryPolicy
from dozvon.mis.base import MisError, OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.inbound import BATCH, Row, RowBatch
from dozvon.mis.mapping import Mapper
from dozvon.mis.selection import select

T = TypeVar("T")

RawRow = tuple[int | str, Row] | RowBatch | RowError
"""What a reader yields: (row label the admin can find, the row), a batch of them, or its own
error."""


@dataclass(frozen=True, slots=True)
class Table:
    """A reader's result: column names when known before the rows, then the rows lazily."""

    rows: Iterable[RawRow]
    columns: Sequence[str] | None = None


WindowStyle = Literal["local", "utc", "aware"]
"""How the window is bound: naive wall-clock time in the clinic's zone (what most MIS store),
naive UTC, or timezone-aware (for `timestamptz` columns)."""

CHECK_APPOINTMENT_ID = "-1"
"""The id `mis test` writes with, inside a transaction that is rolled back."""


def check_record() -> OutcomeRecord:
    """A harmless outcome for `mis test`: an id no visit has, in a rolled-back transaction."""
    return OutcomeRecord(
        appointment_id=CHECK_APPOINTMENT_ID,
        attempt=1,
        outcome=Outcome.CONFIRMED,
        evidence=Evidence(),
        attempts_total=1,
        finished_at=datetime.now(UTC),
    )


def window_values(window: Window, zone: ZoneInfo, style: WindowStyle) -> dict[str, object]:
    """`window_start`, `window_end` (the range) and `window_date` (its first local day)."""

    def bind(moment: datetime) -> datetime:
        if style == "aware":
            return moment
        target = UTC if style == "utc" else zone
        return moment.astimezone(target).replace(tzinfo=None)

    return {
        "window_start": bind(window.start),
        "window_end": bind(window.end),
        "window_date": window.start.astimezone(zone).date(),
    }


class Connector(Protocol):
    """A configured way into one MIS: a `Source`, usually a `Sink`, and a self-check."""

    Config: ClassVar[type[BaseModel]]
    name: str

    def __init__(self, config: Any, mis: MisConfig) -> None: ...

    def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]: ...

    async def write(self, record: OutcomeRecord) -> None: ...

    async def check(self, window: Window) -> list[str]:
        """Try the connection and both statements without changing the MIS; report each step."""
        ...

    async def aclose(self) -> None: ...


class RowConnector:
    """Base for connectors whose reader is a blocking iterator of raw rows.

    Subclasses implement `read(window)` (a context manager yielding a `Table`, run on the
    worker thread) and, when they can write back, `write_sync(record)`.
    """

    Config: ClassVar[type[BaseModel]]
    filters_window = False
    """True when the reader returns everything (a file, a dumped table): keep the window here."""

    def __init__(self, mis: MisConfig) -> None:
        self.mis = mis
        self.name = mis.name
        self.mapper = Mapper(mis.mapping, mis.name)
        self.policy = RetryPolicy(max_attempts=mis.max_attempts)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mis-{self.name}")

    def read(self, window: Window) -> contextlib.AbstractContextManager[Table]:
        raise NotImplementedError

    def write_sync(self, record: OutcomeRecord) -> None:
        raise NotImplementedError

    def check_sync(self, window: Window) -> list[str]:
        raise NotImplementedError

    def check_read(self, window: Window) -> list[str]:
        """Read the first rows through the mapping: wrong columns fail, row problems are listed."""
        with self.read(window) as table:
            sample = list(itertools.islice(self.mapper.map_rows(table.rows, table.columns), 3))
        if sample and isinstance(sample[0], RowError) and sample[0].row is None:
            raise MisError(str(sample[0]))
        columns = ", ".join(table.columns) if table.columns else "по первой строке"
        line = f"чтение: столбцы {columns}; прочитано строк для проверки: {len(sample)}"
        problems = [str(item) for item in sample if isinstance(item, RowError)]
        return [line, *(f"  ошибка: {p}" for p in problems)]

    def pipeline(self, window: Window) -> Iterator[Appointment | RowError]:
        """The whole read, blocking: raw rows → mapping → selection mode."""
        with self.read(window) as table:
            mapped = self.mapper.map_rows(table.rows, table.columns)
            if self.filters_window:
                mapped = (
                    item
                    for item in mapped
                    if isinstance(item, RowError) or window.start <= item.start < window.end
                )
            yield from select(mapped, self.mis.selection, self.policy)

    def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]:
        return in_worker_thread(lambda: self.pipeline(window), self.name)

    async def write(self, record: OutcomeRecord) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self.write_sync, record)

    async def check(self, window: Window) -> list[str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self.check_sync, window)

    async def aclose(self) -> None:
        self._writer.shutdown(wait=True)


async def in_worker_thread(make: Callable[[], Iterator[T]], name: str) -> AsyncIterator[T]:
    """Drive a blocking generator on one dedicated thread, handing items over in batches."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mis-{name}") as worker:
        iterator = await loop.run_in_executor(worker, make)
        try:
            while True:
                batch = await loop.run_in_executor(worker, _take, iterator)
                for item in batch:
                    yield item
                if len(batch) < BATCH:
                    return
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                await loop.run_in_executor(worker, close)


def _take(iterator: Iterator[T]) -> list[T]:
    return list(itertools.islice(iterator, BATCH))
