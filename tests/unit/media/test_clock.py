import asyncio
import time
from itertools import pairwise

import pytest

from dozvon.media.clock import SharedClock


async def _run_ticks(clock: SharedClock, count: int) -> list[int]:
    """Run the clock until `count` ticks have fired; return the tick number seen by each."""
    seen: list[int] = []
    enough = asyncio.Event()

    def on_tick() -> None:
        seen.append(clock.ticks)
        if len(seen) >= count:
            enough.set()

    unsubscribe = clock.subscribe(on_tick)
    clock.start()
    try:
        await asyncio.wait_for(enough.wait(), 5)
    finally:
        clock.stop()
        unsubscribe()
    return seen


async def test_deadlines_are_absolute_so_the_clock_never_drifts() -> None:
    clock = SharedClock(interval=0.005)
    deadlines: list[float] = []
    clock.subscribe(lambda: deadlines.append(clock.next_deadline or 0.0))
    await _run_ticks(clock, 20)
    # Every timer is scheduled exactly on the grid start + n × interval, however late the
    # previous one fired (ticks caught up in one wake-up share the next timer).
    slots = [(d - deadlines[0]) / 0.005 for d in deadlines]
    assert slots == pytest.approx([round(x) for x in slots], abs=1e-6)
    assert slots == sorted(slots) and slots[-1] > 0


async def test_a_stalled_loop_catches_up_missed_ticks_then_skips_the_rest() -> None:
    clock = SharedClock(interval=0.005, max_catch_up=3)
    stalled = False

    def stall() -> None:
        nonlocal stalled
        if not stalled:
            stalled = True
            time.sleep(0.06)  # twelve ticks' worth of a blocked loop

    clock.subscribe(stall)
    ticks = await _run_ticks(clock, 15)
    jumps = [b - a - 1 for a, b in pairwise(ticks)]
    assert clock.skipped > 0
    assert sum(jumps) == clock.skipped
    assert jumps.count(0) >= 3  # the catch-up ticks ran back to back, numbered in sequence


async def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    clock = SharedClock(interval=0.005)

    def broken() -> None:
        raise RuntimeError("boom")

    clock.subscribe(broken)
    assert len(await _run_ticks(clock, 5)) >= 5  # the healthy subscriber kept ticking


async def test_unsubscribed_callback_is_not_called_again() -> None:
    clock = SharedClock(interval=0.005)
    calls: list[None] = []
    unsubscribe = clock.subscribe(lambda: calls.append(None))
    unsubscribe()
    await _run_ticks(clock, 3)
    assert calls == []
    assert len(clock.lateness_ms) >= 3
