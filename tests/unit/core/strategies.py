"""Hypothesis strategies for the domain: zones with and without DST, calling hours, moments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import strategies as st

from dozvon.core.outcome import Outcome
from dozvon.core.rules import CallingHours, OutcomeRetry, RetryPolicy

ZONES = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Novosibirsk",
    "Asia/Vladivostok",
    "Asia/Kamchatka",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
)
"""Russian zones (no DST) plus zones whose DST gaps and folds must not break the rules."""

zones = st.sampled_from(ZONES)
moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def calling_hours(draw: st.DrawFn) -> CallingHours:
    start_minute = draw(st.integers(0, 23 * 60 + 58))
    end_minute = draw(st.integers(start_minute + 1, 24 * 60 - 1))
    weekdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    holidays = draw(
        st.frozensets(
            st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 1, 31)), max_size=20
        )
    )
    return CallingHours(
        time(*divmod(start_minute, 60)), time(*divmod(end_minute, 60)), weekdays, holidays
    )


realistic_hours = st.builds(
    CallingHours,
    start=st.sampled_from([time(8, 0), time(9, 0), time(10, 30)]),
    end=st.sampled_from([time(18, 0), time(20, 0), time(21, 0)]),
    weekdays=st.frozensets(st.integers(0, 6), min_size=1),
)

outcomes = st.sampled_from(list(Outcome))
retryable = st.sampled_from([o for o in Outcome if not o.is_final])


@st.composite
def retry_policies(draw: st.DrawFn) -> RetryPolicy:
    per_outcome = draw(
        st.dictionaries(
            retryable,
            st.builds(
                OutcomeRetry,
                delay=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
                max_attempts=st.integers(0, 6),
            ),
        )
    )
    return RetryPolicy(
        max_attempts=draw(st.integers(1, 10)),
        max_per_day=draw(st.integers(1, 5)),
        per_outcome=per_outcome,
    )
