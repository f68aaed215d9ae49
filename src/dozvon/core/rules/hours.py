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
        if self.allows(moment, zone):
            return moment.astimezone(UTC)
        tz = ZoneInfo(zone)
        day = moment.astimezone(tz).date()
        for _ in range(_SEARCH_DAYS):
            if self._open_day(day):
                opening = self._opening(day, tz)
                if opening is not None and opening > moment:
                    return opening
            day += timedelta(days=1)
        raise ValueError("calling hours leave no open day within a year")

    def _opening(self, day: date, tz: ZoneInfo) -> datetime | None:
        """When the day's window opens, in UTC; None when a DST gap swallows the whole window."""
        start = datetime.combine(day, self.start, tz)
        opening = start.astimezone(UTC)
        if opening.astimezone(tz).replace(tzinfo=None) != start.replace(tzinfo=None):
            # The start falls in a spring-forward gap: the window opens when the clocks jump.
            opening = _first_instant_at_or_after(start, tz)
        local = opening.astimezone(tz)
        if local.date() != day or not self.start <= local.time() < self.end:
            return None
        return opening

    def closes_at(self, moment: datetime, zone: str) -> datetime:
        """When the window containing `moment` ends, in UTC."""
        local = moment.astimezone(ZoneInfo(zone))
        return datetime.combine(local.date(), self.end, ZoneInfo(zone)).astimezone(UTC)


def _first_instant_at_or_after(wall: datetime, tz: ZoneInfo) -> datetime:
    """The first UTC instant whose local time is not before `wall`, a time inside a DST gap.

    fold=1 reads the gap with the offset after the jump (an instant before it), fold=0 with the
    offset before (an instant after it); bisect between them to one second.
    """
    naive = wall.replace(tzinfo=None)
    low = wall.replace(fold=1).astimezone(UTC)
    high = wall.replace(fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high
