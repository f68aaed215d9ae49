"""Phone numbers as a MIS writes them: any punctuation, an 8 in front, extensions, several in
one field, and plain garbage. A number is never logged whole."""

from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import timezone as phone_timezone

from dozvon.core.phone import (
    InvalidPhone,
    mask_name,
    mask_phone,
    normalize_phone,
    split_phones,
    timezone_of,
)

MOBILE_CODES = ("903", "912", "914", "915", "916", "922", "925", "926", "952", "964", "977", "999")
mobiles = st.builds(
    str.__add__, st.sampled_from(MOBILE_CODES), st.from_regex(r"\A[0-9]{7}\Z", fullmatch=True)
)
"""A Russian mobile number without its country code, from ranges the RU plan has in use."""
separators = st.sampled_from(["", " ", "-", ".", " -"])
extensions = st.sampled_from(["", " доб. 123", " доб 5", " ext 42", " ext.7", " вн. 12", " x 301"])
field_separators = st.sampled_from(["; ", ",", " / ", "\n", " или ", "  "])


@st.composite
def written(draw: st.DrawFn, national: str) -> str:
    """`national` the way a clinic's staff might have typed it."""
    prefix = draw(st.sampled_from(["8", "+7", "7", "+7 ", "8 ", ""]))
    sep = draw(separators)
    area = f"({national[:3]})" if draw(st.booleans()) else national[:3]
    body = sep.join([area, national[3:6], national[6:8], national[8:]])
    return f"{prefix}{body}{draw(extensions)}"


@given(data=st.data(), national=mobiles)
def test_every_way_of_writing_a_number_gives_one_e164(data: st.DataObject, national: str) -> None:
    assert normalize_phone(data.draw(written(national))) == "+7" + national


@given(data=st.data(), nationals=st.lists(mobiles, min_size=1, max_size=4))
def test_a_field_with_several_numbers_gives_each_once_in_order(
    data: st.DataObject, nationals: list[str]
) -> None:
    parts = [data.draw(written(n)) for n in nationals]
    text = parts[0] + "".join(data.draw(field_separators) + p for p in parts[1:])
    numbers, problems = split_phones(text)
    assert problems == []
    assert numbers == list(dict.fromkeys("+7" + n for n in nationals))


@given(data=st.data(), national=st.one_of(mobiles, st.from_regex(r"\A[0-9]{10}\Z")))
def test_a_single_number_splits_as_it_normalizes(data: st.DataObject, national: str) -> None:
    """The fast path for one plain mobile agrees with the general path, landlines included."""
    text = data.draw(written(national))
    try:
        expected: tuple[list[str], list[str]] = ([normalize_phone(text)], [])
    except InvalidPhone:
        return
    numbers, problems = split_phones(text)
    assert (numbers, problems) == expected


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=40))
def test_text_without_digits_is_invalid(text: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(text)


@given(st.text(max_size=40))
def test_anything_is_either_e164_or_invalid(text: str) -> None:
    try:
        number = normalize_phone(text)
    except InvalidPhone:
        return
    assert re.fullmatch(r"\+[1-9]\d{6,14}", number)


def _leaks(message: str, raw: str) -> bool:
    """True if the message shows three or more consecutive digits of the input."""
    digits = re.sub(r"\D", "", raw)
    return any(run in digits for run in re.findall(r"\d{3,}", message))


@given(st.text(alphabet="0123456789 +-()", min_size=1, max_size=30))
def test_errors_never_show_the_number(text: str) -> None:
    try:
        normalize_phone(text)
    except InvalidPhone as exc:
        assert not _leaks(str(exc), text)
    _, problems = split_phones(text)
    assert not any(_leaks(problem, text) for problem in problems)


@given(st.text(max_size=40))
def test_masking_shows_at_most_the_last_two_digits(text: str) -> None:
    masked = mask_phone(text)
    shown = re.sub(r"\D", "", masked)
    assert len(shown) <= 2
    assert re.sub(r"\D", "", text).endswith(shown)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8 (916) 123-45-67", "+79161234567"),
        ("+7 495 123 45 67", "+74951234567"),
        ("4012 12-34-56", "+74012123456"),
        ("8-800-555-35-35", "+78005553535"),
        ("+49 30 12345678", "+493012345678"),
    ],
)
def test_examples(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "нет", "123", "+0000", "8916", "1" * 30, "доб. 123"])
def test_garbage_is_invalid(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_split_reports_the_bad_part_and_keeps_the_good() -> None:
    numbers, problems = split_phones("8 916 123-45-67; нет телефона; 123")
    assert numbers == ["+79161234567"]
    assert len(problems) == 2


def test_numbers_separated_by_words_or_one_space() -> None:
    assert split_phones("моб 89161234567 раб 84951234567") == (
        ["+79161234567", "+74951234567"],
        [],
    )
    assert split_phones("89161234567 89031112233")[0] == ["+79161234567", "+79031112233"]
    assert split_phones("89161234567 abc123")[0] == []


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+74012123456", "Europe/Kaliningrad"),
        ("+74951234567", "Europe/Moscow"),
        ("+74232123456", "Asia/Vladivostok"),
        ("+79161234567", None),
        ("not a number", None),
    ],
)
def test_zone_of_a_number(number: str, zone: str | None) -> None:
    assert timezone_of(number) == zone


@given(st.from_regex(r"\A\+79[0-9]{9}\Z", fullmatch=True))
def test_a_mobiles_zone_is_what_phonenumbers_says(number: str) -> None:
    """The mobile shortcut of `timezone_of` agrees with the library it skips: a +7 9xx number
    maps to every zone of Russia, so to none in particular."""
    parsed = phonenumbers.parse(number)
    zones = phone_timezone.time_zones_for_number(parsed)
    expected = str(zones[0]) if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
    assert timezone_of(number) == expected


def test_names_are_reduced_to_initials() -> None:
    assert mask_name("Иванова Анна Петровна") == "И. А. П."
    assert mask_name("") == ""
