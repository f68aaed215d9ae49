"""Jinja2 filters for scenario templates: ``{{ visit.start | date_ru('gent') }}``.

The dialog area installs ``FILTERS`` into its SandboxedEnvironment: ``env.filters.update(FILTERS)``;
for a clinic with its own specialties file, ``make_filters(SpecialtyTable.load(DEFAULT_TABLE,
clinic_file))``. Each filter takes the value first, then the grammatical case or style, as Jinja
passes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dozvon.speech.say import (
    SpecialtyTable,
    agree_ru,
    date_ru,
    digits_ru,
    name_ru,
    number_ru,
    phone_ru,
    specialty_ru,
    time_ru,
    weekday_ru,
)


def make_filters(specialties: SpecialtyTable | None = None) -> dict[str, Callable[..., Any]]:
    return {
        "date_ru": date_ru,
        "weekday_ru": weekday_ru,
        "time_ru": time_ru,
        "name_ru": name_ru,
        "specialty_ru": specialties.say if specialties is not None else specialty_ru,
        "number_ru": number_ru,
        "digits_ru": digits_ru,
        "phone_ru": phone_ru,
        "agree_ru": agree_ru,
    }


FILTERS = make_filters()
