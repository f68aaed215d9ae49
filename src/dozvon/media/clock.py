"""One 20 ms ticker for every call's outbound RTP.

Measured here (docs/performance.md, Media clock): a task per call costs more CPU and paces far
worse than one shared timer that walks all sessions. Deadlines are absolute
(start + n × interval), so the clock never drifts; if the loop stalls, the missed ticks are
run back to back (RTP timestamps stay continuous) up to `max_catch_up`, and the rest skipped.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger(__name__)

_EARLY_TOLERANCE = 0.001

TickCallback = Callable[[], None]


class SharedClock:
    def __init__(
        self, interval: float = 0.020, max_catch_up: int = 5, samples: int = 10_000
    ) -> None:
        self.interval = interval
        self.max_catch_up = max_catch_up
        self.ticks = 0
        self.skipped = 0
        self.lateness_ms: deque[float] = deque(maxlen=samples)
        """How late each tick ran against its absolute deadline, most recent last."""
        self._subscribers: dict[int, TickCallback] = {}
        self._next_id = 0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_start = 0.0
        self._perf_start = 0.0

    @property
    def running(self) -> bool:
        return self._handle is not None

    @property
    def next_deadline(self) -> float | None:
        """When the next tick is due, in `loop.time()`; always start + n × interval."""
        return self._handle.when() if self._handle is not None else None

    def subscribe(self, callback: TickCallback) -> Callable[[], None]:
        """Call `callback` on every tick; return the function that unsubscribes it."""
        key = self._next_id
        self._next_id += 1
        self._subscribers[key] = callback

        def unsubscribe() -> None:
            self._subscribers.pop(key, None)

        return unsubscribe

    def start(self) -> None:
        if self._handle is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_start = self._loop.time()
        self._perf_start = time.perf_counter()
        self.ticks = 0
        self._schedule()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self) -> None:
        assert self._loop is not None
        deadline = self._loop_start + (self.ticks + 1) * self.interval
        self._handle = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        # uvloop rounds timers to whole milliseconds, so it may wake us a little early.
        elapsed = time.perf_counter() - self._perf_start + _EARLY_TOLERANCE
        due = int(elapsed / self.interval)
        if due - self.ticks > self.max_catch_up:
            self.skipped += due - self.ticks - self.max_catch_up
            self.ticks = due - self.max_catch_up
        while self.ticks < due:
            self.ticks += 1
            deadline = self._perf_start + self.ticks * self.interval
            self.lateness_ms.append((time.perf_counter() - deadline) * 1000.0)
            self._tick()
        self._schedule()

    def _tick(self) -> None:
        for callback in list(self._subscribers.values()):
            try:
                callback()
            except Exception:
                # One broken session must not stop the packets of every other call.
                log.exception("media clock subscriber failed")
