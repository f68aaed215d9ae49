"""When to try again after each outcome, and when to stop trying."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Outcome
from dozvon.core.rules.hours import CallingHours


@dataclass(frozen=True, slots=True)
class OutcomeRetry:
    delay: timedelta
    max_attempts: int
    """How many attempts may end in this outcome before we give up."""


def default_per_outcome() -> dict[Outcome, OutcomeRetry]:
    return {
        Outcome.BUSY: OutcomeRetry(timedelta(minutes=10), 4),
        Outcome.NO_ANSWER: OutcomeRetry(timedelta(hours=1), 3),
        Outcome.ANSWERING_MACHINE: OutcomeRetry(timedelta(hours=3), 2),
        Outcome.NETWORK_ERROR: OutcomeRetry(timedelta(minutes=5), 3),
        Outcome.REJECTED: OutcomeRetry(timedelta(hours=2), 2),
        Outcome.HUNG_UP: OutcomeRetry(timedelta(hours=1), 2),
        Outcome.UNCERTAIN: OutcomeRetry(timedelta(hours=2), 2),
    }


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    max_per_day: int = 3
    per_outcome: Mapping[Outcome, OutcomeRetry] = field(default_factory=default_per_outcome)

    def next_attempt_at(
        self,
        attempts: Sequence[Attempt],
        zone: str,
        hours: CallingHours,
        now: datetime,
    ) -> datetime | None:
        """When the task may be tried next, or None if it is finished or exhausted.

        A final outcome anywhere in the history ends the task (an opt-out on one channel is not
        undone by a later "no answer" on another), and attempts a crash left open still count
        against the daily cap.
        """
        if len(attempts) >= self.max_attempts:
            return None
        finished = [(a, a.outcome) for a in attempts if a.outcome is not None]
        if any(outcome.is_final for _, outcome in finished):
            return None
        if not finished:
            return self._respect_daily_cap(attempts, zone, hours, hours.next_open(now, zone))
        last, outcome = max(finished, key=lambda pair: pair[0].number)
        rule = self.per_outcome.get(outcome)
        if rule is None:
            return None
        same = sum(1 for _, earlier in finished if earlier is outcome)
        if same >= rule.max_attempts:
            return None
        earliest = max(now, (last.finished_at or last.started_at) + rule.delay)
        candidate = hours.next_open(earliest, zone)
        return self._respect_daily_cap(attempts, zone, hours, candidate)

    def _respect_daily_cap(
        self, attempts: Sequence[Attempt], zone: str, hours: CallingHours, candidate: datetime
    ) -> datetime:
        tz = ZoneInfo(zone)
        while True:
            day = candidate.astimezone(tz).date()
            used = sum(1 for a in attempts if a.started_at.astimezone(tz).date() == day)
            if used < self.max_per_day:
                return candidate
            next_day = datetime.combine(day + timedelta(days=1), hours.start, tz)
            candidate = hours.next_open(next_day, zone)
