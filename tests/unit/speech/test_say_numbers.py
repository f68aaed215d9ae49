import pytest

from dozvon.speech.say import agree_ru, digits_ru, number_ru, phone_ru


@pytest.mark.parametrize(
    ("value", "kwargs", "spoken"),
    [
        (21, {}, "двадцать один"),
        (2, {"gender": "f"}, "две"),
        (21, {"case": "datv", "gender": "f"}, "двадцати одной"),
        (2, {"case": "accs"}, "два"),
        ("1500", {}, "одна тысяча пятьсот"),
        ("1 500", {}, "одна тысяча пятьсот"),
        (3, {"ordinal": True, "case": "accs"}, "третий"),
        (215, {"ordinal": True, "case": "loct"}, "двести пятнадцатом"),
        ("1,5", {}, "одна целая пять десятых"),
    ],
)
def test_numbers(value: object, kwargs: dict[str, object], spoken: str) -> None:
    assert number_ru(value, **kwargs) == spoken  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["пять", "", True, None])
def test_not_a_number(bad: object) -> None:
    with pytest.raises(ValueError, match="not a number"):
        number_ru(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "nan"])
def test_unsayable_number(bad: object) -> None:
    with pytest.raises(ValueError, match="cannot be said as a number"):
        number_ru(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        (
            "+7 (495) 123-45-07",
            "восемь, четыреста девяносто пять, сто двадцать три, сорок пять, ноль семь",
        ),
        ("8-916-005-00-10", "восемь, девятьсот шестнадцать, ноль ноль пять, ноль ноль, десять"),
        ("123-45-67", "сто двадцать три, сорок пять, шестьдесят семь"),
        ("103", "сто три"),
    ],
)
def test_phone_in_digit_groups(value: str, spoken: str) -> None:
    assert phone_ru(value) == spoken


def test_phone_international_form() -> None:
    assert phone_ru("+79160000000", trunk="плюс семь").startswith(
        "плюс семь, девятьсот шестнадцать"
    )


def test_digits_and_agreement() -> None:
    assert digits_ru("2-05") == "два ноль пять"
    assert [agree_ru("минута", n) for n in (1, 2, 5, 11, 21)] == [
        "минута", "минуты", "минут", "минут", "минута",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no digits"):
        digits_ru("абв")
