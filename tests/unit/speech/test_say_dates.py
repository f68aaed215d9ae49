from datetime import date, datetime, time

import pytest

from dozvon.speech.say import date_ru, time_ru, weekday_ru

NOV_27 = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("case", "spoken"),
    [
        ("nomn", "двадцать седьмое ноября"),
        ("gent", "двадцать седьмого ноября"),
        ("datv", "двадцать седьмому ноября"),
        ("accs", "двадцать седьмое ноября"),
        ("ablt", "двадцать седьмым ноября"),
        ("loct", "двадцать седьмом ноября"),
        ("родительный", "двадцать седьмого ноября"),
        ("genitive", "двадцать седьмого ноября"),
    ],
)
def test_date_in_every_case(case: str, spoken: str) -> None:
    assert date_ru(NOV_27, case) == spoken


@pytest.mark.parametrize(
    ("value", "case", "spoken"),
    [
        (date(2026, 12, 1), "gent", "первого декабря"),
        (date(2026, 3, 3), "accs", "третье марта"),
        (datetime(2026, 5, 9, 8, 0), "loct", "девятом мая"),
        ("2026-01-23", "nomn", "двадцать третье января"),
        ("27.11.2026", "accs", "двадцать седьмое ноября"),
        ("2.8", "gent", "второго августа"),
    ],
)
def test_dates_from_any_template_value(value: object, case: str, spoken: str) -> None:
    assert date_ru(value, case) == spoken  # type: ignore[arg-type]


def test_year_stays_genitive() -> None:
    assert date_ru(NOV_27, "accs", year=True) == (
        "двадцать седьмое ноября две тысячи двадцать шестого года"
    )


def test_weekday_in_case() -> None:
    assert weekday_ru(NOV_27, "accs") == "пятницу"
    assert weekday_ru(date(2026, 11, 25)) == "среда"


@pytest.mark.parametrize(
    ("value", "style", "spoken"),
    [
        ("09:05", "digits", "девять ноль пять"),
        ("10:30", "digits", "десять тридцать"),
        ("12:00", "digits", "двенадцать часов"),
        ("22:00", "digits", "двадцать два часа"),
        ("21:00", "digits", "двадцать один час"),
        (time(14, 21), "formal", "четырнадцать часов двадцать одна минута"),
        ("09:05", "formal", "девять часов пять минут"),
        ("13:00", "day", "час дня"),
        ("10:30", "day", "десять тридцать утра"),
        ("19:00", "day", "семь вечера"),
        ("02:00", "day", "два ночи"),
        (datetime(2026, 11, 27, 16, 45), "day", "четыре сорок пять дня"),
    ],
)
def test_times(value: object, style: str, spoken: str) -> None:
    assert time_ru(value, style) == spoken  # type: ignore[arg-type]


def test_time_after_preposition_takes_its_case() -> None:
    assert time_ru("10:30", case="datv") == "десяти тридцати"
    assert time_ru("12:00", case="datv") == "двенадцати часам"
    assert time_ru("09:05", case="gent") == "девяти ноль пяти"
    assert time_ru("13:00", "day", case="datv") == "часу дня"


@pytest.mark.parametrize("bad", ["25:00", "10:61", "утром", ""])
def test_bad_time_is_named(bad: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        time_ru(bad)


@pytest.mark.parametrize("bad", ["31.02.2026", "завтра", "2026-13-01"])
def test_bad_date_is_named(bad: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        date_ru(bad)


def test_unknown_case_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown grammatical case 'vocative'"):
        date_ru(NOV_27, "vocative")
