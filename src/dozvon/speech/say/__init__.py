"""Values rendered as spoken Russian, in the case the sentence needs.

Structured fields (dates, times, numbers, phones, names, specialties) are rendered here in
code; free text only goes through the lexicon (see docs/decisions.md, «why no normalizer»)."""

from dozvon.speech.say.dates import TimeStyle, date_ru, time_ru, weekday_ru
from dozvon.speech.say.grammar import Case, Gender
from dozvon.speech.say.names import name_ru
from dozvon.speech.say.numbers import agree_ru, digits_ru, number_ru, phone_ru
from dozvon.speech.say.specialties import (
    SpecialtyError,
    SpecialtyTable,
    clinic_table,
    specialty_ru,
)

__all__ = [
    "Case",
    "Gender",
    "SpecialtyError",
    "SpecialtyTable",
    "TimeStyle",
    "agree_ru",
    "clinic_table",
    "date_ru",
    "digits_ru",
    "name_ru",
    "number_ru",
    "phone_ru",
    "specialty_ru",
    "time_ru",
    "weekday_ru",
]
