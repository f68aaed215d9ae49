"""The trunk's two hard limits: simultaneous lines and new calls per second."""

from __future__ import annotations

from datetime import UTC, datetime

from dozvon.campaign.clock import Clock


class CallRate:
    """Spaces call starts evenly at `per_second`; a burst never exceeds what the trunk allows.

    Evenly spaced starts (rather than a token bucket with a burst) keep the instantaneous rate
    under the trunk's limit even when many lines free up at once.
    """

    def __init__(self, per_second: float, clock: Clock) -> None:
        if per_second <= 0:
            raise ValueError("calls per second must be positive")
        self._interval = 1.0 / per_second
        self._clock = clock
        self._next: float | None = None

    async def acquire(self) -> datetime:
        """Wait for the next free slot and return its time: the moment the call may start.

        Slots are reserved before sleeping, so concurrent callers get successive slots."""
        now = self._clock.now().timestamp()
        slot = now if self._next is None else max(now, self._next)
        self._next = slot + self._interval
        if slot > now:
            await self._clock.sleep(slot - now)
        return datetime.fromtimestamp(slot, UTC)


class Lines:
    """Counts busy lines; `free` never goes negative because only the dispatcher takes lines."""

    def __init__(self, total: int) -> None:
        if total <= 0:
            raise ValueError("the trunk needs at least one line")
        self.total = total
        self.busy = 0
        self.peak = 0

    @property
    def free(self) -> int:
        return self.total - self.busy

    def take(self) -> None:
        if self.busy >= self.total:
            raise RuntimeError(f"all {self.total} lines are busy")
        self.busy += 1
        self.peak = max(self.peak, self.busy)

    def release(self) -> None:
        if self.busy <= 0:
            raise RuntimeError("released a line that was not taken")
        self.busy -= 1
