"""Who is called now: keeps the trunk's lines full, never over its line and call-rate limits.

Every attempt is committed as started before the channel dials, so a crash can never lose the
fact that a call went out (see recovery.py for the other half).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from dozvon.campaign.breaker import BreakerSettings, CircuitBreaker
from dozvon.campaign.clock import Clock
from dozvon.campaign.limits import CallRate, Lines
from dozvon.campaign.next_step import Close, Dial, Postpone, after_attempt, before_attempt
from dozvon.campaign.offload import StoreThread
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.base import AttemptResult, ContactChannel, Prechecked
from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.phone import mask_phone
from dozvon.core.task import Task, TaskStatus

log = logging.getLogger(__name__)
_NEVER = datetime.min.replace(tzinfo=UTC)
INTERRUPTED = AttemptResult(
    Outcome.NETWORK_ERROR, Evidence(notes={"interrupted": "stopped after the grace period"})
)


@dataclass(frozen=True, slots=True)
class DueTask:
    id: int
    campaign: str
    task: Task
    attempts: tuple[Attempt, ...]


class DispatchState(Protocol):
    """What the dispatcher needs from the store; campaign.state implements it on SQLAlchemy."""

    def running_campaigns(self) -> list[str]: ...

    def due_tasks(
        self, campaigns: Sequence[str], now: datetime, limit: int, exclude: Collection[int]
    ) -> list[DueTask]:
        """Pending tasks due by `now`, soonest appointment first, then campaign priority."""
        ...

    def next_due_at(self, campaigns: Sequence[str]) -> datetime | None: ...

    def blocked_numbers(self, phones: Collection[str]) -> set[str]:
        """Which of these numbers are on the do-not-call list."""
        ...

    def recent_contacts(
        self, phones: Collection[str], since: datetime
    ) -> dict[str, list[datetime]]:
        """Attempt start times per number since `since`, in every campaign (the contact cap)."""
        ...

    def start_attempt(self, due: DueTask, dial: Dial, now: datetime) -> int | None:
        """Commit the attempt as started and return its number; None when the task is no
        longer pending (then nothing is written)."""
        ...

    def finish_attempt(
        self, due: DueTask, attempt: Attempt, status: TaskStatus, next_at: datetime | None
    ) -> None:
        """Commit the outcome, the task's new state and the outbox rows together."""
        ...

    def postpone(self, task_id: int, until: datetime, reason: str) -> None: ...

    def close_task(self, task_id: int, status: TaskStatus, reason: str) -> None: ...

    def pause_all(self, reason: str) -> None: ...


@dataclass(slots=True)
class DueBatch:
    """Due tasks read in one go, with what the rules need to know about their numbers."""

    campaigns: list[str] = field(default_factory=list)
    read_at: datetime = _NEVER
    items: deque[DueTask] = field(default_factory=deque)
    blocked: set[str] = field(default_factory=set)
    recent: dict[str, list[datetime]] = field(default_factory=dict)

    def contacts(self, phones: Iterable[str], since: datetime) -> list[datetime]:
        return [
            moment for phone in phones for moment in self.recent.get(phone, []) if moment > since
        ]


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    lines: int = 10
    calls_per_second: float = 5.0
    breaker: BreakerSettings = field(default_factory=BreakerSettings)
    grace_seconds: float = 30.0
    """How long active calls may go on after a stop before they are cut."""
    poll_seconds: float = 1.0
    max_call_seconds: float = 1800.0
    """A call still holding its line after this is cut: a lost BYE must not leak a line."""


@dataclass(frozen=True, slots=True)
class CallEvent:
    """Progress for displays: a call started (outcome None) or ended."""

    task_key: str
    campaign: str
    attempt_no: int
    phone_masked: str
    outcome: Outcome | None
    active: int


def dial_uses_trunk(dial: Dial) -> bool:
    """Only calls take a trunk line and count against its call rate: an SMS or a chat waiting
    minutes for a written reply must not keep the phone lines idle."""
    return dial.channel is Channel.VOICE


class Dispatcher:
    def __init__(
        self,
        state: DispatchState,
        campaigns: Mapping[str, CampaignSpec],
        channels: Mapping[Channel, ContactChannel],
        clock: Clock,
        settings: DispatchSettings | None = None,
        on_event: Callable[[CallEvent], None] | None = None,
        store_thread: StoreThread | None = None,
    ) -> None:
        self.state = state
        self._db = (store_thread or StoreThread()).run
        self.campaigns = dict(campaigns)
        self.channels = dict(channels)
        self.clock = clock
        self.settings = settings or DispatchSettings()
        self.lines = Lines(self.settings.lines)
        self.rate = CallRate(self.settings.calls_per_second, clock)
        self.breaker = CircuitBreaker(self.settings.breaker)
        self._on_event = on_event
        self._active: dict[int, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._batch = DueBatch()
        self._reading: asyncio.Task[DueBatch] | None = None
        self._stopping = False
        self._running_cache: list[str] = []
        self._running_at = _NEVER
        self.line_seconds = 0.0
        """Sum over finished calls of the time each held a line: for utilisation reports."""

    @property
    def active(self) -> int:
        return len(self._active)

    async def _running(self, fresh: bool = False) -> list[str]:
        """Campaigns that may dial; re-read at most every `poll_seconds` (pause and resume
        from the CLI land within that), or at once when `fresh`."""
        now = self.clock.now()
        if fresh or (now - self._running_at).total_seconds() >= self.settings.poll_seconds:
            running = await self._db(self.state.running_campaigns)
            self._running_cache = [name for name in running if name in self.campaigns]
            self._running_at = now
        return self._running_cache

    async def dispatch_due(self, stop: asyncio.Event | None = None) -> int:
        """Start calls for every task due now, as far as free lines allow; returns how many."""
        if self.lines.free == 0:
            return 0
        running = await self._running()
        if self.breaker.tripped:
            if not running:
                return 0
            # The breaker paused every campaign; one running again means an operator resumed.
            log.warning("dialing resumed after the circuit breaker")
            self.breaker.reset()
        if not running:
            return 0
        launched = 0
        now = self.clock.now()
        while self.lines.free and not self.breaker.tripped and not (stop and stop.is_set()):
            item = await self._next_due(running, now)
            if item is None:
                break
            spec = self.campaigns[item.campaign]
            decision = before_attempt(
                spec,
                item.task,
                item.attempts,
                now,
                available=self.channels.keys(),
                do_not_call=self._batch.blocked,
                previous_contacts=self._batch.contacts(item.task.phones, now - spec.cap.window),
            )
            if isinstance(decision, Postpone):
                await self._db(self.state.postpone, item.id, decision.until, decision.reason)
            elif isinstance(decision, Close):
                await self._db(self.state.close_task, item.id, decision.status, decision.reason)
            else:
                self._launch(item, decision)
                launched += 1
        return launched

    async def _next_due(self, running: list[str], now: datetime) -> DueTask | None:
        """Due tasks come from the store in batches, so a line freeing up costs no query.

        A batch older than `poll_seconds` is re-read in the background while calls go on being
        placed from it; only an empty batch, or one for other campaigns, is waited for.
        `start_attempt` re-checks every task, so a stale entry is skipped, never dialled early.
        """
        if self._reading is not None and self._reading.done():
            self._batch, self._reading = self._reading.result(), None
        age = (now - self._batch.read_at).total_seconds()
        usable = self._batch.campaigns == running
        if self._reading is None and (
            not usable or not self._batch.items or age >= self.settings.poll_seconds
        ):
            self._reading = asyncio.create_task(self._read_batch(running, now))
        if (not usable or not self._batch.items) and self._reading is not None:
            self._batch, self._reading = await self._reading, None
        while self._batch.items:
            item = self._batch.items.popleft()
            if item.id not in self._active:
                return item
        return None

    async def _read_batch(self, running: list[str], now: datetime) -> DueBatch:
        limit = 2 * self.settings.lines
        items = await self._db(self.state.due_tasks, running, now, limit, set(self._active))
        phones = {phone for item in items for phone in item.task.phones}
        window = max(spec.cap.window for spec in self.campaigns.values())
        return DueBatch(
            campaigns=running,
            read_at=now,
            items=deque(items),
            blocked=await self._db(self.state.blocked_numbers, phones) if phones else set(),
            recent=(
                await self._db(self.state.recent_contacts, phones, now - window) if phones else {}
            ),
        )

    def _launch(self, item: DueTask, dial: Dial) -> None:
        """Take a line and hand the call to its own task, so the next launch need not wait
        for this one's rate slot or store commit: they overlap, and lines refill at full rate."""
        if dial_uses_trunk(dial):
            self.lines.take()
        self._batch.recent.setdefault(dial.phone, []).append(self.clock.now())
        self._active[item.id] = asyncio.create_task(self._call(item, dial))

    async def _call(self, item: DueTask, dial: Dial) -> None:
        trunk = dial_uses_trunk(dial)
        try:
            started = await self.rate.acquire() if trunk else self.clock.now()
            if self.breaker.tripped or self._stopping:
                return  # no new calls once dialing is paused or the service stops
            refusal = self._refusal(item, dial)
            if refusal is not None:
                await self._db(self.state.close_task, item.id, TaskStatus.CANCELLED, refusal)
                return
            number = await self._start(item, dial, started)
            if number is None:  # paused, cancelled or taken since the batch was read
                return
            dial = Dial(dial.channel, dial.phone, number)
            log.info(
                "call started",
                extra={"task": item.id, "attempt": number, "phone": mask_phone(dial.phone)},
            )
            self._emit(item, dial, None)
            try:
                result = await self._attempt(item, dial)
            except asyncio.CancelledError:
                await self._finish(item, dial, started, INTERRUPTED)
                raise
            await self._finish(item, dial, started, result)
        finally:
            self._active.pop(item.id, None)
            if trunk:
                self.lines.release()
            self._wake.set()

    def _refusal(self, item: DueTask, dial: Dial) -> str | None:
        """A channel that knows it will refuse the task (consent, data the scenario needs)
        says so before an attempt is recorded: a retry would only be refused again."""
        channel = self.channels[dial.channel]
        if not isinstance(channel, Prechecked):
            return None
        return channel.refusal(item.task, self.campaigns[item.campaign].scenario)

    async def _start(self, item: DueTask, dial: Dial, started: datetime) -> int | None:
        """Commit the attempt before the INVITE; a stop that lands during the commit still
        gets the attempt closed, so nothing is left open without a crash."""
        commit = asyncio.ensure_future(self._db(self.state.start_attempt, item, dial, started))
        try:
            return await asyncio.shield(commit)
        except asyncio.CancelledError:
            number = await commit
            if number is not None:
                committed = Dial(dial.channel, dial.phone, number)
                await self._finish(item, committed, started, INTERRUPTED)
            raise

    async def _attempt(self, item: DueTask, dial: Dial) -> AttemptResult:
        spec = self.campaigns[item.campaign]
        channel = self.channels[dial.channel]
        try:
            return await asyncio.wait_for(
                channel.attempt(item.task, spec.scenario, phone=dial.phone, attempt_no=dial.number),
                self.settings.max_call_seconds,
            )
        except TimeoutError:
            log.error(
                "call cut: no end after %.0f s",
                self.settings.max_call_seconds,
                extra={"task": item.id, "attempt": dial.number},
            )
            return AttemptResult(
                Outcome.NETWORK_ERROR,
                Evidence(notes={"error": f"no end after {self.settings.max_call_seconds:.0f} s"}),
            )
        except Exception as exc:
            log.exception("channel failed", extra={"task": item.id, "attempt": dial.number})
            return AttemptResult(
                Outcome.NETWORK_ERROR, Evidence(notes={"error": f"{type(exc).__name__}: {exc}"})
            )

    async def _finish(
        self, item: DueTask, dial: Dial, started: datetime, result: AttemptResult
    ) -> None:
        finished = self.clock.now()
        attempt = Attempt(
            task_id=str(item.id),
            number=dial.number,
            channel=dial.channel,
            started_at=started,
            phone=dial.phone,
            finished_at=finished,
            outcome=result.outcome,
            evidence=result.evidence,
        )
        spec = self.campaigns[item.campaign]
        after = after_attempt(spec, item.task, (*item.attempts, attempt), finished)
        await self._db(self.state.finish_attempt, item, attempt, after.status, after.next_at)
        if dial_uses_trunk(dial):
            self.line_seconds += (finished - started).total_seconds()
        log.info(
            "call finished",
            extra={"task": item.id, "attempt": dial.number, "outcome": str(result.outcome)},
        )
        self._emit(item, dial, result.outcome)
        if self.breaker.record(result.outcome):
            reason = (
                f"circuit breaker: {self.breaker.failure_share:.0%} of the last "
                f"{self.breaker.settings.window} calls ended in network_error"
            )
            log.error("dialing paused: %s", reason)
            await self._db(self.state.pause_all, reason)
            self._running_cache, self._running_at = [], _NEVER  # read afresh: resumed yet?

    def _emit(self, item: DueTask, dial: Dial, outcome: Outcome | None) -> None:
        if self._on_event is not None:
            self._on_event(
                CallEvent(
                    item.task.key,
                    item.campaign,
                    dial.number,
                    mask_phone(dial.phone),
                    outcome,
                    self.active,
                )
            )

    async def run(self, stop: asyncio.Event, *, until_idle: bool = False) -> None:
        """Dispatch until `stop` is set; with `until_idle`, also return once nothing is due now
        and no call is active (a one-shot campaign run)."""
        self._stopping = False
        while not stop.is_set():
            await self.dispatch_due(stop)
            if until_idle and not self._active and not await self._has_due_now():
                return
            await self._wait(stop)
        self._stopping = True

    async def _has_due_now(self) -> bool:
        if self.breaker.tripped:
            return False
        running = await self._running(fresh=True)
        next_due = await self._db(self.state.next_due_at, running) if running else None
        return next_due is not None and next_due <= self.clock.now()

    async def _wait(self, stop: asyncio.Event) -> None:
        """Until a line frees up, the stop, or the poll interval (new work may have come due)."""
        self._wake.clear()
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(
                waiters, timeout=self.settings.poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def drain(self, grace_seconds: float | None = None) -> None:
        """Let active calls finish, cutting those still going after the grace period."""
        grace = self.settings.grace_seconds if grace_seconds is None else grace_seconds
        calls = list(self._active.values())
        if not calls:
            return
        _, pending = await asyncio.wait(calls, timeout=grace)
        for call in pending:
            call.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
