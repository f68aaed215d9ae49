"""Login throttling: a few failed passwords per user name and per client address per window.

Kept in memory: one web process per site, and a restart forgetting the count is harmless next
to scrypt's cost per guess.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

MAX_FAILURES = 5
WINDOW_SECONDS = 60.0
_MAX_KEYS = 10_000


class LoginThrottle:
    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max = max_failures
        self._window = window
        self._clock = clock
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def blocked(self, user: str, address: str) -> bool:
        """True while either the name or the address has used up its failures."""
        return any(len(self._recent(key)) >= self._max for key in self._keys(user, address))

    def failed(self, user: str, address: str) -> None:
        now = self._clock()
        if len(self._failures) > _MAX_KEYS:  # a spray of made-up names must not grow memory
            for stale in [k for k in self._failures if not self._recent(k)]:
                del self._failures[stale]
        for key in self._keys(user, address):
            self._recent(key).append(now)

    def _recent(self, key: str) -> deque[float]:
        stamps = self._failures[key]
        cutoff = self._clock() - self._window
        while stamps and stamps[0] <= cutoff:
            stamps.popleft()
        return stamps

    @staticmethod
    def _keys(user: str, address: str) -> tuple[str, str]:
        return f"user:{user.casefold()}", f"addr:{address}"
