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
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Protocol, TypeVar

from pydantic import BaseModel

from dozvon.core.appointment import Appointment
from dozvon.core.rules.retry import RetryPolicy
from dozvon.mis.base import OutcomeRecord, RowError, Window
from dozvon.mis.config import MisConfig
from dozvon.mis.mapping import Mapper, Row
from dozvon.mis.selection import select

BATCH = 500
T = TypeVar("T")

RawRow = tuple[int | str, Row] | RowError
"""What a reader yields: (row label the admin can find, the row) or its own error."""


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


class RowConnector:
    """Base for connectors whose reader is a blocking iterator of raw rows.

    Subclasses implement `read(window)` (a context manager yielding an iterator of `RawRow`,
    run on the worker thread) and, when they can write back, `write_sync(record)`.
    """

    Config: ClassVar[type[BaseModel]]

    def __init__(self, mis: MisConfig) -> None:
        self.mis = mis
        self.name = mis.name
        self.mapper = Mapper(mis.mapping, mis.name)
        self.policy = RetryPolicy(max_attempts=mis.max_attempts)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"mis-{self.name}")

    def read(self, window: Window) -> contextlib.AbstractContextManager[Iterable[RawRow]]:
        raise NotImplementedError

    def write_sync(self, record: OutcomeRecord) -> None:
        raise NotImplementedError

    def check_sync(self, window: Window) -> list[str]:
        raise NotImplementedError

    def pipeline(self, window: Window) -> Iterator[Appointment | RowError]:
        """The whole read, blocking: raw rows → mapping → selection mode."""
        with self.read(window) as rows:
            yield from select(self.mapper.map_rows(rows), self.mis.selection, self.policy)

    async def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]:
        async for item in in_worker_thread(lambda: self.pipeline(window), self.name):
            yield item

    async def write(self, record: OutcomeRecord) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._writer, self.write_sync, record)

    async def check(self, window: Window) -> list[str]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, self.check_sync, window)


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
    batch: list[T] = []
    for item in iterator:
        batch.append(item)
        if len(batch) >= BATCH:
            break
    return batch
