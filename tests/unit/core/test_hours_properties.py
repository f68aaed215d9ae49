"""Calling hours: whatever the zone, DST or holidays, the next open moment is inside the hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given

from dozvon.core.rules import CallingHours
from tests.unit.core.strategies import calling_hours, moments, zones


@given(hours=calling_hours(), zone=zones, now=moments)
def test_next_open_is_inside_the_hours_and_not_before_now(
    hours: CallingHours, zone: str, now: datetime
) -> None:
    opened = hours.next_open(now, zone)
    assert opened >= now
    assert hours.allows(opened, zone)
    local = opened.astimezone(ZoneInfo(zone))
    assert local.weekday() in hours.weekdays
    assert local.date() not in hours.holidays
    assert hours.start <= local.time() < hours.end


@given(hours=calling_hours(), zone=zones, now=moments)
def test_an_open_moment_is_its_own_next_open(hours: CallingHours, zone: str, now: datetime) -> None:
    if hours.allows(now, zone):
        assert hours.next_open(now, zone) == now


@given(hours=calling_hours(), zone=zones, now=moments)
def test_nothing_earlier_was_open(hours: CallingHours, zone: str, now: datetime) -> None:
    """Checked on a one-minute grid: the rule never wastes a whole open minute."""
    opened = hours.next_open(now, zone)
    probe = now + timedelta(minutes=1)
    steps = 0
    while probe < opened - timedelta(minutes=1) and steps < 3000:
        assert not hours.allows(probe, zone)
        probe += timedelta(minutes=1) if steps < 1500 else timedelta(hours=1)
        steps += 1


def test_moscow_evening_moves_to_next_morning() -> None:
    hours = CallingHours(time(9), time(20))
    evening = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # 20:30 in Moscow
    assert hours.next_open(evening, "Europe/Moscow") == datetime(2026, 3, 3, 6, 0, tzinfo=UTC)


def test_same_moment_differs_by_zone() -> None:
    hours = CallingHours(time(9), time(20))
    moment = datetime(2026, 7, 1, 6, 30, tzinfo=UTC)  # 08:30 Kaliningrad, 16:30 Vladivostok
    assert not hours.allows(moment, "Europe/Kaliningrad")
    assert hours.allows(moment, "Asia/Vladivostok")
    assert hours.allows(moment, "Europe/Moscow")


def test_holiday_and_weekend_are_skipped() -> None:
    hours = CallingHours(time(9), time(20), frozenset(range(5)), frozenset({date(2026, 3, 9)}))
    friday_night = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)  # Fri 21:00 Moscow
    assert hours.next_open(friday_night, "Europe/Moscow") == datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


def test_window_inside_a_dst_gap_is_skipped() -> None:
    """02:00-02:30 does not exist in Berlin on 29 March 2026: that day has no window at all."""
    hours = CallingHours(time(2, 0), time(2, 30))
    before = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    opened = hours.next_open(before, "Europe/Berlin")
    assert opened.astimezone(ZoneInfo("Europe/Berlin")).date() == date(2026, 3, 30)
    assert hours.allows(opened, "Europe/Berlin")


def test_invalid_hours_are_refused() -> None:
    with pytest.raises(ValueError):
        CallingHours(time(20), time(9))
    with pytest.raises(ValueError):
        CallingHours(weekdays=frozenset())
    with pytest.raises(ValueError):
        CallingHours(weekdays=frozenset({7}))
