"""One template, two forms: spoken on a call, written in a message."""

from __future__ import annotations

from datetime import datetime

import pytest

from dozvon.dialog.templates import compile_text
from dozvon.dialog.written import phone_written

TEXT = (
    "{{ t | date_ru('accs') }} в {{ t | time_ru }}, тел. {{ p | phone_ru }}, "
    "код {{ c | digits_ru }}, {{ n | number_ru('gent') }}"
)


def render(channel: str) -> str:
    context = {
        "call": {"channel": channel},
        "t": datetime(2026, 11, 27, 9, 5),
        "p": "+74951234567",
        "c": "05",
        "n": 3,
    }
    return compile_text(TEXT).render(context)


@pytest.mark.parametrize("channel", ["sms", "email", "telegram"])
def test_messages_get_digits(channel: str) -> None:
    assert render(channel) == "27 ноября в 09:05, тел. 8 (495) 123-45-67, код 05, 3"


def test_a_call_still_gets_words() -> None:
    spoken = render("voice")
    assert spoken.startswith("двадцать седьмое ноября в девять ноль пять")
    assert "восемь, четыреста девяносто пять" in spoken
    assert spoken.endswith("код ноль пять, трёх")


def test_phones_in_other_countries_and_garbage() -> None:
    assert phone_written("+49 30 1234567") == "+49 30 1234567"
    assert phone_written("не номер") == "не номер"
