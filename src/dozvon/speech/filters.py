"""Jinja2 filters for scenario templates: ``{{ visit.start | date_ru('gent') }}``.

The dialog area installs ``FILTERS`` into its SandboxedEnvironment: ``env.filters.update(FILTERS)``.
Each filter takes the value first, then the grammatical case or style, as Jinja passes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dozvon.speech.say import (
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

FILTERS: dict[str, Callable[..., Any]] = {
    "date_ru": date_ru,
    "weekday_ru": weekday_ru,
    "time_ru": time_ru,
    "name_ru": name_ru,
    "specialty_ru": specialty_ru,
    "number_ru": number_ru,
    "digits_ru": digits_ru,
    "phone_ru": phone_ru,
    "agree_ru": agree_ru,
}
