"""Stops dialing when the trunk is down or our numbers are blocked as spam.

When most recent calls fail at the network level, dialing more only burns through the patients'
attempt caps; pausing and telling a person is the useful reaction.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from dozvon.core.outcome import Outcome


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    window: int = 20
    """How many of the most recent calls are judged."""
    threshold: float = 0.5
    """Share of network errors in the window that trips the breaker (more than this)."""


class CircuitBreaker:
    def __init__(self, settings: BreakerSettings | None = None) -> None:
        self.settings = settings or BreakerSettings()
        self._recent: deque[bool] = deque(maxlen=self.settings.window)
        self.tripped = False

    def record(self, outcome: Outcome) -> bool:
        """Note one finished call; True exactly when this call trips the breaker."""
        self._recent.append(outcome is Outcome.NETWORK_ERROR)
        if self.tripped or len(self._recent) < self.settings.window:
            return False
        if sum(self._recent) > self.settings.threshold * self.settings.window:
            self.tripped = True
            return True
        return False

    @property
    def failure_share(self) -> float:
        return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def reset(self) -> None:
        """After an operator resumes dialing: judge afresh, not on the calls that tripped it."""
        self._recent.clear()
        self.tripped = False
