"""When scheduled syncs run: cron strings from the config, read in the clinic's own time zone.

croniter does the calendar arithmetic (month lengths, weekday/day-of-month rules); a clinic
admin already knows cron syntax from every other job on the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from croniter import croniter


class CronSchedule:
    def __init__(self, expressions: Sequence[str], zone: str) -> None:
        for expression in expressions:
            if not croniter.is_valid(expression):
                raise ValueError(f"не строка cron / not a cron string: {expression!r}")
        self.expressions = tuple(expressions)
        self.zone = ZoneInfo(zone)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first run strictly after `moment`, in UTC; None when there are no expressions."""
        local = moment.astimezone(self.zone)
        runs = [croniter(e, local).get_next(datetime) for e in self.expressions]
        return min(runs).astimezone(UTC) if runs else None

    def due(self, last_check: datetime, now: datetime) -> bool:
        """Did a run time fall in (last_check, now]?"""
        upcoming = self.next_after(last_check)
        return upcoming is not None and upcoming <= now
