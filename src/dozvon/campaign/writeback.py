"""Outbox → MIS: every outcome reaches the clinic's system exactly once, in order, whatever happens.

Outcomes are committed to the outbox in the same transaction as the attempt that produced them;
this loop only moves them. The sink is idempotent by (appointment id, attempt), so a crash
between the MIS write and our "delivered" mark repeats a write without duplicating it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from dozvon.campaign.clock import Clock
from dozvon.campaign.offload import StoreThread
from dozvon.mis.base import MisError, OutcomeRecord, Sink

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    record: OutcomeRecord
    tries: int


class OutboxState(Protocol):
    def due_outbox(self, now: datetime, limit: int) -> Sequence[OutboxItem]:
        """Undelivered items due by `now`: only the oldest per appointment, oldest first."""
        ...

    def mark_delivered(self, item_id: int, now: datetime) -> None: ...

    def mark_failed(self, item_id: int, error: str, retry_at: datetime) -> None: ...

    def undelivered_count(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 1.0
    factor: float = 2.0
    ceiling: float = 300.0
    jitter: float = 0.2
    """± share of the delay, so many workers do not hit a recovering MIS at the same instant."""

    def delay(self, tries: int) -> float:
        base = min(self.ceiling, self.first * self.factor ** max(0, tries - 1))
        return base * (1 + random.uniform(-self.jitter, self.jitter))


@dataclass(frozen=True, slots=True)
class FlushResult:
    written: int
    failed: int
    mis_down: bool


class WriteBack:
    def __init__(
        self,
        state: OutboxState,
        sink: Sink,
        clock: Clock,
        backoff: Backoff | None = None,
        batch: int = 200,
        store_thread: StoreThread | None = None,
    ) -> None:
        self.state = state
        self._db = (store_thread or StoreThread()).run
        self.sink = sink
        self.clock = clock
        self.backoff = backoff or Backoff()
        self.batch = batch
        self._down_since: datetime | None = None
        self._down_tries = 0
        self.written = 0
        self.resume_at: datetime | None = None
        """While the MIS is down, nothing is tried before this moment."""

    async def flush_once(self) -> FlushResult:
        """Write what is due now; stops at the first sign that the MIS itself is down."""
        now = self.clock.now()
        if self.resume_at is not None and now < self.resume_at:
            return FlushResult(0, 0, True)
        written = failed = 0
        while True:
            items = await self._db(self.state.due_outbox, self.clock.now(), self.batch)
            if not items:
                break
            progress = 0
            for item in items:
                outcome = await self._write(item)
                if outcome == "down":
                    return FlushResult(written, failed + 1, True)
                if outcome == "ok":
                    written += 1
                    progress += 1
                else:
                    failed += 1
            if not progress:
                break
        return FlushResult(written, failed, False)

    async def _write(self, item: OutboxItem) -> str:
        try:
            await self.sink.write(item.record)
        except MisError as exc:
            if exc.record_only:
                return await self._record_failed(item, str(exc))
            await self._mis_down(item, exc)
            return "down"
        except Exception as exc:
            log.exception("write-back of one outcome failed", extra={"outbox": item.id})
            return await self._record_failed(item, f"{type(exc).__name__}: {exc}")
        await self._db(self.state.mark_delivered, item.id, self.clock.now())
        self.written += 1
        if self._down_since is not None:
            log.warning("MIS reachable again after %s", self.clock.now() - self._down_since)
        self._down_since = None
        self._down_tries = 0
        self.resume_at = None
        return "ok"

    async def _record_failed(self, item: OutboxItem, error: str) -> str:
        """A record the MIS or the sink cannot take (a mapping gap, a constraint, a 4xx): retry
        it later on its own; it holds back only later outcomes of the same appointment."""
        retry_at = self.clock.now() + timedelta(seconds=self.backoff.delay(item.tries + 1))
        await self._db(self.state.mark_failed, item.id, error, retry_at)
        return "failed"

    async def _mis_down(self, item: OutboxItem, exc: MisError) -> None:
        now = self.clock.now()
        self._down_tries += 1
        self._down_since = self._down_since or now
        self.resume_at = now + timedelta(seconds=self.backoff.delay(self._down_tries))
        await self._db(self.state.mark_failed, item.id, str(exc), self.resume_at)
        log.warning(
            "MIS unreachable (%s); next try at %s",
            exc,
            self.resume_at.isoformat(timespec="seconds"),
        )

    async def run(self, stop: asyncio.Event, poll_seconds: float = 1.0) -> None:
        while not stop.is_set():
            await self.flush_once()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll_seconds)

    async def drain(self, deadline_seconds: float) -> int:
        """Flush until the outbox is empty or the deadline passes; returns what is left."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline_seconds
        while await self._db(self.state.undelivered_count) and loop.time() < end:
            result = await self.flush_once()
            if result.mis_down or not result.written:
                await asyncio.sleep(min(0.2, max(0.0, end - loop.time())))
        return await self._db(self.state.undelivered_count)
