"""The fast path for Russian mobiles in core.phone must agree with phonenumbers exactly."""

from __future__ import annotations

import phonenumbers
from hypothesis import given, settings
from hypothesis import strategies as st

from dozvon.core.phone import InvalidPhone, normalize_phone


def slow(number: str) -> str | None:
    parsed = phonenumbers.parse(number, "RU")
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"\A\+79\d{9}\Z"))
def test_fast_path_agrees_with_phonenumbers(number: str) -> None:
    try:
        fast: str | None = normalize_phone(number)
    except InvalidPhone:
        fast = None
    assert fast == slow(number)


def test_invalid_mobile_ranges_stay_invalid() -> None:
    # +7 930 00... is unallocated: the pattern, not a blanket "+79", decides
    assert slow("+79300000000") is None
    try:
        normalize_phone("8 930 000 00 00")
    except InvalidPhone:
        return
    raise AssertionError("an unallocated mobile range was accepted")
