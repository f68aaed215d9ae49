"""Free text made speakable: the lexicon, then a few safe patterns for dates, times, phones
and plain numbers.

Deliberately small. Structured fields are rendered exactly by ``speech.say`` in scenario
templates; this is for the remaining free text (a service's name, a clinic's own sentence,
``dozvon say``). The case of a date or time is taken from the preposition just before it
(«на 27.11» → accusative, «до 27.11» → genitive, «к 10:30» → dative); with no preposition a date
is genitive («приём 27.11» → «двадцать седьмого ноября») and a time nominative.

Limits (documented in docs/guide/lexicon.md): a plain number is read as a cardinal in the
nominative and does not agree with the noun after it («2 этаж» → «два этаж»); groups of three
digits after a space join the number before them («1 500» → «одна тысяча пятьсот»); «10.05» is
read as a date, not a decimal; years need four digits."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from dozvon.speech.lexicon import Lexicon
from dozvon.speech.say.dates import date_ru, time_ru
from dozvon.speech.say.grammar import Case
from dozvon.speech.say.numbers import digit_groups_ru, number_ru, phone_ru

_MONTHS = ("январ", "феврал", "мар", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр",
           "ноябр", "декабр")  # fmt: skip
_PREPOSITION_CASE = {
    "на": Case.ACCS, "в": Case.ACCS, "во": Case.ACCS, "про": Case.ACCS, "через": Case.ACCS,
    "по": Case.ACCS,
    "к": Case.DATV, "ко": Case.DATV,
    "перед": Case.ABLT, "за": Case.ABLT, "между": Case.ABLT,
    "о": Case.LOCT, "об": Case.LOCT, "при": Case.LOCT,
    "до": Case.GENT, "с": Case.GENT, "со": Case.GENT, "после": Case.GENT, "от": Case.GENT,
    "около": Case.GENT, "для": Case.GENT, "из": Case.GENT,
}  # fmt: skip
_PREP = r"(?:(?P<prep>(?<![\w-])[А-Яа-яЁё]{1,6})\s+)?"
_PHONE = re.compile(r"(?<![\d+])(?:\+7|8)[\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}(?!\d)")
_DATE_NUMERIC = re.compile(
    _PREP + r"(?<![\d.,])(?P<day>[0-3]?\d)\.(?P<month>[01]\d)(?:\.(?P<year>\d{4}))?(?!\d|\.\d)"
)
_DATE_WORDS = re.compile(
    _PREP + r"(?<![\d.,])(?P<day>[0-3]?\d)\s+(?P<month>январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]"
    r"|июн[яь]|июл[яь]|августа?|сентябр[яь]|октябр[яь]|ноябр[яь]|декабр[яь])(?!\w)"
    r"(?:\s+(?P<year>\d{4})(?:\s*(?:г\.|года))?)?(?!\w)",
    re.IGNORECASE,
)
_TIME = re.compile(_PREP + r"(?<![\d:])(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)(?![\d:])")
_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:,\d+)?(?![\w]|[.,]\d)")
"""A number, with thousands grouped by spaces as Russian writes them («1 500»)."""


def spoken_text(text: str, lexicon: Lexicon) -> str:
    """The text as it will be said: lexicon first (a service name may contain digits), then
    phones, dates, times and numbers in words."""
    text = lexicon.apply(text)
    text = _PHONE.sub(lambda m: phone_ru(m.group()), text)
    text = _DATE_NUMERIC.sub(_with_case(_numeric_date, Case.GENT), text)
    text = _DATE_WORDS.sub(_with_case(_worded_date, Case.GENT), text)
    text = _TIME.sub(_with_case(_time, Case.NOMN), text)
    return _NUMBER.sub(_number, text)


def _number(match: re.Match[str]) -> str:
    """Leading zeros mean a code, read digit by digit: «0042» → «ноль ноль сорок два»."""
    written = re.sub(r"[ \u00a0\u202f]", "", match.group())
    if len(written) > 1 and written.startswith("0") and "," not in written:
        return digit_groups_ru(written)
    return number_ru(written)


def _with_case(
    render: Callable[[re.Match[str], Case], str | None], default: Case
) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        preposition = match.group("prep")
        case = _PREPOSITION_CASE.get(preposition.lower(), default) if preposition else default
        spoken = render(match, case)
        if spoken is None:
            return match.group()
        return f"{preposition} {spoken}" if preposition else spoken

    return replace


def _numeric_date(match: re.Match[str], case: Case) -> str | None:
    return _date(match, int(match.group("month")), case)


def _worded_date(match: re.Match[str], case: Case) -> str | None:
    word = match.group("month").lower()
    month = next(i for i, stem in enumerate(_MONTHS, 1) if word.startswith(stem))
    return _date(match, month, case)


def _date(match: re.Match[str], month: int, case: Case) -> str | None:
    year = int(match.group("year")) if match.group("year") else 2000  # a leap year: 29.02 is fine
    try:
        day = date(year, month, int(match.group("day")))
    except ValueError:
        return None
    return date_ru(day, case, year=bool(match.group("year")))


def _time(match: re.Match[str], case: Case) -> str:
    return time_ru(f"{match.group('hour')}:{match.group('minute')}", case=case)
