"""Dates and clock times the way a receptionist says them, in the case the sentence needs."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum

from dozvon.speech.say.grammar import Case, Gender, match_capitalization, morph, to_case
from dozvon.speech.say.numbers import number_ru

_MONTHS_GENT = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
_DATE_RE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?\s*$")
_TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})(?::\d{2})?\s*$")


class TimeStyle(StrEnum):
    DIGITS = "digits"
    """«десять тридцать», «девять ноль пять», «двенадцать часов»: how times are read out."""
    FORMAL = "formal"
    """«десять часов тридцать минут»."""
    DAY = "day"
    """«час дня», «десять тридцать утра»: twelve-hour clock with the part of the day."""


def date_ru(value: date | str, case: str | Case = Case.NOMN, *, year: bool = False) -> str:
    """«на {{ d | date_ru('accs') }}» → «на двадцать седьмое ноября»; ``gent``: «двадцать
    седьмого ноября».

    The day is a neuter ordinal in ``case``; the month (and year) stay genitive in every case."""
    day = to_date(value)
    grammatical = to_case(case)
    words = [
        number_ru(day.day, grammatical, Gender.NEUT, ordinal=True),
        _MONTHS_GENT[day.month - 1],
    ]
    if year:
        words += [number_ru(day.year, Case.GENT, Gender.MASC, ordinal=True), "года"]
    return " ".join(words)


def weekday_ru(value: date | str, case: str | Case = Case.NOMN) -> str:
    """«в {{ d | weekday_ru('accs') }}» → «в пятницу»."""
    name = _WEEKDAYS[to_date(value).weekday()]
    inflected = morph().parse(name)[0].inflect({to_case(case).value})
    return inflected.word if inflected is not None else name


def time_ru(
    value: time | datetime | str,
    style: str | TimeStyle = TimeStyle.DIGITS,
    case: str | Case = Case.NOMN,
) -> str:
    """«09:05» → «девять ноль пять», «12:00» → «двенадцать часов»; style ``day``: «13:00» →
    «час дня».

    ``case`` serves prepositions other than «в»: «к {{ t | time_ru(case='datv') }}» → «к десяти
    тридцати»."""
    clock = to_time(value)
    grammatical = to_case(case)
    chosen = TimeStyle(style)
    hour, minute = clock.hour, clock.minute
    if chosen is TimeStyle.DAY:
        return _day_style(hour, minute, grammatical)
    if minute == 0:
        return _counted(hour, "час", grammatical)
    if chosen is TimeStyle.FORMAL:
        return f"{_counted(hour, 'час', grammatical)} {_counted(minute, 'минута', grammatical)}"
    return f"{number_ru(hour, grammatical)} {_minutes(minute, grammatical)}"


def to_date(value: date | str) -> date:
    """Dates as templates hand them over: date, datetime, ISO text or «27.11.2026»."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = _DATE_RE.match(text)
    try:
        if match:
            day, month, year = match.groups()
            full_year = (
                int(year) + 2000 if year and len(year) == 2 else int(year or date.today().year)
            )
            return date(full_year, int(month), int(day))
        return datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (expected 2026-11-27 or 27.11.2026)") from None


def to_time(value: time | datetime | str) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    match = _TIME_RE.match(str(value))
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return time(hour, minute)
    raise ValueError(f"{value!r} is not a time of day (expected 09:05)")


def _minutes(minute: int, case: Case) -> str:
    """Minutes under ten keep their leading zero aloud, undeclined as people say it: «к девяти
    ноль пяти»."""
    if minute < 10:
        return f"ноль {number_ru(minute, case)}"
    return number_ru(minute, case)


def _counted(count: int, noun: str, case: Case) -> str:
    """A number with its noun agreeing: «один час», «два часа», «к двум часам», «одна минута»."""
    gender = Gender.FEMN if noun == "минута" else Gender.MASC
    return f"{number_ru(count, case, gender)} {_agree(noun, count, case)}"


def _agree(noun: str, count: int, case: Case) -> str:
    parsed = morph().parse(noun)[0]
    if case in (Case.NOMN, Case.ACCS):
        form = parsed.make_agree_with_number(count)
        if form is not None and case is Case.ACCS and count % 10 == 1 and count % 100 != 11:
            form = form.inflect({"accs"})
    else:
        singular = count % 10 == 1 and count % 100 != 11
        form = parsed.inflect({case.value, "sing" if singular else "plur"})
    return form.word if form is not None else noun


def _day_style(hour: int, minute: int, case: Case) -> str:
    if hour < 4:
        part = "ночи"
    elif hour < 12:
        part = "утра"
    elif hour < 17:
        part = "дня"
    else:
        part = "вечера"
    twelve = hour % 12 or 12
    if twelve == 1:
        said = match_capitalization(_agree("час", 1, case), "час")
    else:
        said = number_ru(twelve, case)
    if minute:
        said = f"{said} {_minutes(minute, case)}"
    return f"{said} {part}"
