"""Value types an admin writes by hand: durations like `10m`, weekday names, time zones."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, ConfigDict

STRICT = ConfigDict(extra="forbid", frozen=True)
"""Every section refuses unknown keys: a typo must not silently fall back to a default."""

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|с|сек|м|мин|ч|д)\s*$", re.I)
_UNIT_SECONDS = {
    "s": 1, "sec": 1, "с": 1, "сек": 1,
    "m": 60, "min": 60, "м": 60, "мин": 60,
    "h": 3600, "ч": 3600,
    "d": 86400, "д": 86400,
}  # fmt: skip


def _duration(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.match(value)
        if not match:
            raise ValueError(
                "ожидалась длительность вида 90s, 10m, 2h, 1d"
                f" / expected a duration like 10m: {value!r}"
            )
        return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
"""`90s`, `10m`, `2h`, `1d` (or Russian `10 мин`), or a number of seconds."""

WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "пн": 0, "вт": 1, "ср": 2, "чт": 3, "пт": 4, "сб": 5, "вс": 6,
}  # fmt: skip


def _weekday(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in WEEKDAYS:
        return WEEKDAYS[value.strip().lower()]
    raise ValueError(f"ожидался день недели mon..sun или пн..вс / expected mon..sun: {value!r}")


Weekday = Annotated[int, BeforeValidator(_weekday)]
"""A day by name (mon..sun, пн..вс); numbers are refused because 0- and 1-based both exist."""


def _zone(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"неизвестный часовой пояс / unknown IANA time zone {value!r} (e.g. Europe/Moscow)"
        ) from exc
    return value


TimeZoneName = Annotated[str, BeforeValidator(_zone)]


_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _clock(value: Any) -> Any:
    if isinstance(value, str) and (match := _CLOCK.match(value)):
        return f"{int(match.group(1)):02d}:{match.group(2)}"
    return value


ClockTime = Annotated[time, BeforeValidator(_clock)]
"""`9:00` or `09:00`."""
