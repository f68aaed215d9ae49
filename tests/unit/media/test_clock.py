import asyncio
import time
from itertools import pairwise

import pytest

from dozvon.media.clock import SharedClock


async def _run_ticks(clock: SharedClock, count: int) -> list[float]:
    deadlines: list[float] = []
    enough = asyncio.Event()

    def on_tick(deadline: float) -> None:
        deadlines.append(deadline)
        if len(deadlines) >= count:
            enough.set()

    unsubscribe = clock.subscribe(on_tick)
    clock.start()
    try:
        await asyncio.wait_for(enough.wait(), 5)
    finally:
        clock.stop()
        unsubscribe()
    return deadlines


async def test_deadlines_are_absolute_so_the_clock_never_drifts() -> None:
    clock = SharedClock(interval=0.005)
    deadlines = await _run_ticks(clock, 20)
    steps = [b - a for a, b in pairwise(deadlines)]
    assert steps == pytest.approx([0.005] * len(steps), abs=1e-9)


async def test_a_stalled_loop_catches_up_missed_ticks_then_skips_the_rest() -> None:
    clock = SharedClock(interval=0.005, max_catch_up=3)
    stalled = False

    def stall(_: float) -> None:
        nonlocal stalled
        if not stalled:
            stalled = True
            time.sleep(0.06)  # twelve ticks' worth

    clock.subscribe(stall)
    deadlines = await _run_ticks(clock, 15)
    assert clock.skipped >= 5
    steps = [round((b - a) / 0.005) for a, b in pairwise(deadlines)]
    # Catch-up ticks keep their own deadlines (RTP timestamps stay continuous); one jump skips.
    assert steps.count(1) >= 5 and max(steps) >= 6


async def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    clock = SharedClock(interval=0.005)

    def broken(_: float) -> None:
        raise RuntimeError("boom")

    clock.subscribe(broken)
    assert len(await _run_ticks(clock, 5)) == 5


async def test_unsubscribed_callback_is_not_called_again() -> None:
    clock = SharedClock(interval=0.005)
    calls: list[float] = []
    unsubscribe = clock.subscribe(calls.append)
    unsubscribe()
    await _run_ticks(clock, 3)
    assert calls == []
    assert len(clock.lateness_ms) >= 3
