from __future__ import annotations

from dozvon.web.throttle import LoginThrottle


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_fifth_failure_blocks_the_name_from_any_address() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(max_failures=5, window=60, clock=ticks)
    for n in range(5):
        assert not throttle.blocked("admin", f"10.0.0.{n}")
        throttle.failed("admin", f"10.0.0.{n}")
    assert throttle.blocked("admin", "10.0.0.99")
    assert throttle.blocked("ADMIN", "10.0.0.99")
    assert not throttle.blocked("operator", "10.0.0.99")


def test_the_fifth_failure_blocks_the_address_for_any_name() -> None:
    throttle = LoginThrottle(max_failures=5, window=60, clock=Ticks())
    for n in range(5):
        throttle.failed(f"user{n}", "10.0.0.1")
    assert throttle.blocked("someone-else", "10.0.0.1")
    assert not throttle.blocked("someone-else", "10.0.0.2")


def test_the_block_lifts_after_the_window() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(max_failures=2, window=60, clock=ticks)
    throttle.failed("admin", "a")
    throttle.failed("admin", "a")
    ticks.now = 59.0
    assert throttle.blocked("admin", "a")
    ticks.now = 60.5
    assert not throttle.blocked("admin", "a")


def test_a_spray_of_names_does_not_grow_without_bound() -> None:
    ticks = Ticks()
    throttle = LoginThrottle(max_failures=5, window=1, clock=ticks)
    for n in range(12_000):
        ticks.now = n * 0.01
        throttle.failed(f"name{n}", f"addr{n}")
    assert len(throttle._failures) < 12_000 * 2
