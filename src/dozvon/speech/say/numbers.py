"""Numbers, digit strings and phone numbers as words."""

from __future__ import annotations

import re

from num2words import num2words  # type: ignore[import-untyped]

from dozvon.speech.say.grammar import Case, Gender, morph, to_case, to_gender

_DIGITS = ("ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")


def number_ru(
    value: int | float | str,
    case: str | Case = Case.NOMN,
    gender: str | Gender = Gender.MASC,
    *,
    ordinal: bool = False,
    animate: bool = False,
) -> str:
    """«21» → «двадцать один»; with ``gender='f', case='datv'`` → «двадцати одной».

    Inanimate by default (num2words defaults to animate): «нажмите два», «на третий этаж»."""
    number = _parse_number(value)
    grammatical, grammatical_gender = to_case(case), to_gender(gender)
    try:
        return str(
            num2words(
                number,
                lang="ru",
                to="ordinal" if ordinal else "cardinal",
                case=grammatical.num2words,
                gender=grammatical_gender.value,
                animate=animate,
            )
        )
    except (ValueError, OverflowError, TypeError, NotImplementedError):
        raise ValueError(f"{value!r} cannot be said as a number") from None


def digits_ru(value: str) -> str:
    """Each digit on its own: «05» → «ноль пять» (codes, flat numbers read digit by digit)."""
    digits = re.sub(r"\D", "", str(value))
    if not digits:
        raise ValueError(f"no digits in {value!r}")
    return " ".join(_DIGITS[int(d)] for d in digits)


def agree_ru(word: str, count: int) -> str:
    """The noun form that goes with a number: (минута, 2) → «минуты», (минута, 5) → «минут»."""
    if not word.strip():
        return word
    parsed = morph().parse(word)[0]
    agreed = parsed.make_agree_with_number(abs(int(_parse_number(count))))
    return agreed.word if agreed is not None else word


def phone_ru(value: str, *, trunk: str = "восемь") -> str:
    """A phone number in the groups a person dictates it in, commas marking the pauses.

    «+7 (495) 123-45-07» → «восемь, четыреста девяносто пять, сто двадцать три, сорок пять,
    ноль семь». Russian numbers are said with the trunk prefix 8 by default; pass
    ``trunk="плюс семь"`` for the international form."""
    digits = re.sub(r"\D", "", str(value))
    if len(digits) < 2:
        raise ValueError(f"{value!r} is not a phone number")
    head: list[str] = []
    if len(digits) == 11 and digits[0] in "78":
        head, digits = [trunk], digits[1:]
    return ", ".join([*head, *(digit_groups_ru(g) for g in _groups(digits))])


def _groups(digits: str) -> list[str]:
    """Russian dictation: 3-3-2-2 for ten digits, 3-2-2 for seven, pairs for the tail."""
    if len(digits) == 10:
        return [digits[:3], digits[3:6], digits[6:8], digits[8:]]
    groups: list[str] = []
    rest = digits
    while len(rest) > 4:
        groups.append(rest[:3])
        rest = rest[3:]
    if len(rest) == 4:
        groups += [rest[:2], rest[2:]]
    elif rest:
        groups.append(rest)
    return groups


def digit_groups_ru(group: str) -> str:
    """Leading zeros are said as «ноль»: «007» → «ноль ноль семь», «045» → «ноль сорок пять»."""
    stripped = group.lstrip("0")
    zeros = ["ноль"] * (len(group) - len(stripped))
    return " ".join(zeros + ([number_ru(int(stripped))] if stripped else []))


def _parse_number(value: int | float | str) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if isinstance(value, int | float):
        return value
    text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
