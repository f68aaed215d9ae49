"""The retry policy, run as the dispatcher runs it: ask when, try then, record, ask again."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours, OutcomeRetry, RetryPolicy
from tests.unit.core.strategies import moments, outcomes, realistic_hours, retry_policies, zones

MAX_ROUNDS = 60


def attempt(number: int, outcome: Outcome | None, at: datetime) -> Attempt:
    finished = at + timedelta(seconds=40) if outcome is not None else None
    return Attempt("t", number, Channel.VOICE, at, "+79161234567", finished, outcome)


def run(
    policy: RetryPolicy,
    hours: CallingHours,
    zone: str,
    start: datetime,
    results: list[Outcome],
    gaps: list[timedelta],
) -> list[Attempt]:
    attempts: list[Attempt] = []
    now = start
    for round_number in range(MAX_ROUNDS):
        due = policy.next_attempt_at(attempts, zone, hours, now)
        if due is None:
            break
        assert due >= now
        assert hours.allows(due, zone), f"attempt {round_number + 1} due outside calling hours"
        outcome = results[round_number % len(results)]
        attempts.append(attempt(len(attempts) + 1, outcome, due))
        now = due + timedelta(seconds=40) + gaps[round_number % len(gaps)]
    return attempts


@given(
    policy=retry_policies(),
    hours=realistic_hours,
    zone=zones,
    start=moments,
    results=st.lists(outcomes, min_size=1, max_size=12),
    gaps=st.lists(st.timedeltas(timedelta(0), timedelta(hours=30)), min_size=1, max_size=5),
)
def test_attempts_stay_within_every_cap(
    policy: RetryPolicy,
    hours: CallingHours,
    zone: str,
    start: datetime,
    results: list[Outcome],
    gaps: list[timedelta],
) -> None:
    attempts = run(policy, hours, zone, start, results, gaps)
    assert len(attempts) <= policy.max_attempts
    per_day = Counter(a.started_at.astimezone(ZoneInfo(zone)).date() for a in attempts)
    assert all(count <= policy.max_per_day for count in per_day.values())
    per_outcome = Counter(a.outcome for a in attempts)
    for outcome, count in per_outcome.items():
        assert outcome is not None
        rule = policy.per_outcome.get(outcome)
        allowed = 1 if rule is None else max(1, rule.max_attempts)
        assert count <= allowed
    for earlier, later in pairwise(attempts):
        assert earlier.outcome is not None and not earlier.outcome.is_final
        rule = policy.per_outcome[earlier.outcome]
        assert later.started_at >= earlier.started_at + timedelta(seconds=40) + rule.delay


@given(
    policy=retry_policies(),
    hours=realistic_hours,
    zone=zones,
    now=moments,
    before=st.lists(outcomes, max_size=4),
    final=st.sampled_from([o for o in Outcome if o.is_final]),
    after=st.lists(st.sampled_from([o for o in Outcome if not o.is_final]), max_size=3),
)
def test_after_a_final_outcome_nothing_is_retried(
    policy: RetryPolicy,
    hours: CallingHours,
    zone: str,
    now: datetime,
    before: list[Outcome],
    final: Outcome,
    after: list[Outcome],
) -> None:
    """Even if a later attempt on another channel ended otherwise: opted out stays opted out."""
    history = [*before, final, *after]
    attempts = [
        attempt(number, outcome, now - timedelta(days=10) + timedelta(hours=number))
        for number, outcome in enumerate(history, start=1)
    ]
    assert policy.next_attempt_at(attempts, zone, hours, now) is None


@given(hours=realistic_hours, zone=zones, now=moments, open_count=st.integers(1, 4))
def test_attempts_left_open_by_a_crash_still_count_for_the_day(
    hours: CallingHours, zone: str, now: datetime, open_count: int
) -> None:
    policy = RetryPolicy(max_attempts=10, max_per_day=open_count)
    started = hours.next_open(now, zone)
    attempts = [attempt(n, None, started) for n in range(1, open_count + 1)]
    due = policy.next_attempt_at(attempts, zone, hours, started)
    assert due is not None
    tz = ZoneInfo(zone)
    assert due.astimezone(tz).date() > started.astimezone(tz).date()
    assert hours.allows(due, zone)


def test_busy_is_retried_after_its_delay_in_moscow() -> None:
    policy = RetryPolicy(per_outcome={Outcome.BUSY: OutcomeRetry(timedelta(minutes=10), 3)})
    hours = CallingHours(time(9), time(20))
    first = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 10:00 Moscow
    attempts = [attempt(1, Outcome.BUSY, first)]
    due = policy.next_attempt_at(attempts, "Europe/Moscow", hours, first + timedelta(minutes=1))
    assert due == first + timedelta(seconds=40) + timedelta(minutes=10)


def test_no_answer_late_in_the_day_waits_for_the_morning() -> None:
    policy = RetryPolicy()
    hours = CallingHours(time(9), time(20))
    late = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 19:30 Moscow; retry after 1 h → 20:31
    due = policy.next_attempt_at(
        [attempt(1, Outcome.NO_ANSWER, late)], "Europe/Moscow", hours, late
    )
    assert due == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def test_confirmed_and_exhausted_tasks_stop() -> None:
    policy = RetryPolicy(max_attempts=2)
    hours = CallingHours()
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert (
        policy.next_attempt_at([attempt(1, Outcome.CONFIRMED, at)], "Europe/Moscow", hours, at)
        is None
    )
    two = [attempt(1, Outcome.BUSY, at), attempt(2, Outcome.BUSY, at)]
    assert policy.next_attempt_at(two, "Europe/Moscow", hours, at) is None


def test_first_attempt_waits_for_calling_hours() -> None:
    hours = CallingHours(time(9), time(20))
    night = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 04:00 Moscow, 11:00 Vladivostok
    assert RetryPolicy().next_attempt_at([], "Europe/Moscow", hours, night) == datetime(
        2026, 3, 2, 6, 0, tzinfo=UTC
    )
    assert RetryPolicy().next_attempt_at([], "Asia/Vladivostok", hours, night) == night
