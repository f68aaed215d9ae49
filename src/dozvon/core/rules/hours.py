"""Calling hours, always judged in the patient's local time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_SEARCH_DAYS = 370


@dataclass(frozen=True, slots=True)
class CallingHours:
    start: time = time(9, 0)
    end: time = time(20, 0)
    weekdays: frozenset[int] = frozenset(range(7))
    """0 is Monday, as in datetime.weekday()."""
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"calling hours start {self.start} must be before end {self.end}")
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError("calling hours need at least one weekday between 0 and 6")

    def _open_day(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.holidays

    def allows(self, moment: datetime, zone: str) -> bool:
        local = moment.astimezone(ZoneInfo(zone))
        return self._open_day(local.date()) and self.start <= local.time() < self.end

    def next_open(self, moment: datetime, zone: str) -> datetime:
        """The earliest moment at or after `moment` inside the hours, in UTC."""
        tz = ZoneInfo(zone)
        local = moment.astimezone(tz)
        if self.allows(moment, zone):
            return moment.astimezone(UTC)
        day = local.date()
        if local.time() >= self.end or not self._open_day(day):
            day += timedelta(days=1)
        elif local.time() < self.start:
            return datetime.combine(day, self.start, tz).astimezone(UTC)
        for _ in range(_SEARCH_DAYS):
            if self._open_day(day):
                return datetime.combine(day, self.start, tz).astimezone(UTC)
            day += timedelta(days=1)
        raise ValueError("calling hours leave no open day within a year")

    def closes_at(self, moment: datetime, zone: str) -> datetime:
        """When the window containing `moment` ends, in UTC."""
        local = moment.astimezone(ZoneInfo(zone))
        return datetime.combine(local.date(), self.end, ZoneInfo(zone)).astimezone(UTC)
