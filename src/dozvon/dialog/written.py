"""Written forms of the speech filters, for text channels (SMS, e-mail, Telegram).

A voice must spell «восемь, четыреста девяносто пять…» and «десять тридцать»; a message shows
«8 (495) 123-45-67» and «10:30». The template environment picks the form by `call.channel`, so
one scenario reads right on every channel. Cases and styles are accepted and ignored: digits
need no declension («к 10:30», «на 27 ноября»).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

import phonenumbers

from dozvon.speech.say import date_ru
from dozvon.speech.say.dates import to_date, to_time


def time_written(value: time | datetime | str, *_: Any, **__: Any) -> str:
    return f"{to_time(value):%H:%M}"


def date_written(value: date | str, *_: Any, year: bool = False, **__: Any) -> str:
    day = to_date(value)
    month = date_ru(day, "gent").split()[-1]  # the month is genitive in every case
    return f"{day.day} {month}" + (f" {day.year} г." if year else "")


def number_written(value: int | float | str, *_: Any, **__: Any) -> str:
    return str(value).strip()


def digits_written(value: str, *_: Any, **__: Any) -> str:
    return re.sub(r"\D", "", str(value))


def phone_written(value: str, *_: Any, **__: Any) -> str:
    """Russian numbers as Russians write them, «8 (495) 123-45-67»; others in international
    form; anything unparsable as it came."""
    try:
        number = phonenumbers.parse(str(value), "RU")
    except phonenumbers.NumberParseException:
        return str(value)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 7
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return str(phonenumbers.format_number(number, style))


WRITTEN_FILTERS: dict[str, Callable[..., str]] = {
    "time_ru": time_written,
    "date_ru": date_written,
    "number_ru": number_written,
    "digits_ru": digits_written,
    "phone_ru": phone_written,
}
"""Speech filters whose spoken form would read wrongly in a message; the others (names,
specialties, weekdays, agreement) are words either way."""
