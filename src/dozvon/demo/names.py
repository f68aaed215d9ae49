"""Realistic Russian names for demo patients and doctors (fictional people)."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

_MALE_FIRST = ("Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Михаил", "Иван", "Николай",
               "Павел", "Владимир", "Олег", "Юрий", "Константин", "Григорий", "Артём", "Тимур")
_FEMALE_FIRST = ("Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Анна", "Ирина", "Светлана",
                 "Екатерина", "Юлия", "Галина", "Людмила", "Ксения", "Дарья", "Вера", "Зинаида")
_FATHERS = ("Александр", "Сергей", "Иван", "Пётр", "Николай", "Михаил", "Виктор", "Андрей",
            "Юрий", "Владимир", "Григорий", "Павел")
# (male form, female form); indeclinable surnames keep one form for both.
_SURNAMES = (
    ("Иванов", "Иванова"), ("Петров", "Петрова"), ("Смирнов", "Смирнова"),
    ("Кузнецов", "Кузнецова"),
    ("Соколов", "Соколова"), ("Попов", "Попова"), ("Лебедев", "Лебедева"), ("Козлов", "Козлова"),
    ("Новиков", "Новикова"), ("Морозов", "Морозова"), ("Волков", "Волкова"), ("Зайцев", "Зайцева"),
    ("Белов", "Белова"), ("Орлов", "Орлова"), ("Горский", "Горская"), ("Тихомиров", "Тихомирова"),
    ("Шевченко", "Шевченко"), ("Ким", "Ким"), ("Черных", "Черных"), ("Римский-Корсаков",
    "Римская-Корсакова"), ("Гагарин", "Гагарина"), ("Ефимов", "Ефимова"), ("Яковлев", "Яковлева"),
)
_PATRONYMIC_MALE = {"Пётр": "Петрович", "Павел": "Павлович", "Илья": "Ильич"}
_PATRONYMIC_FEMALE = {"Пётр": "Петровна", "Павел": "Павловна", "Илья": "Ильинична"}


@dataclass(frozen=True, slots=True)
class PersonName:
    last: str
    first: str
    middle: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.middle}"


def _patronymic(father: str, female: bool) -> str:
    table = _PATRONYMIC_FEMALE if female else _PATRONYMIC_MALE
    if father in table:
        return table[father]
    if father.endswith("ий"):
        stem = father[:-2] + "ье"
    elif father.endswith("й"):
        stem = father[:-1] + "е"
    else:
        stem = father + "о"
    return stem + ("вна" if female else "вич")


def random_name(rng: Random, female: bool | None = None) -> PersonName:
    is_female = rng.random() < 0.55 if female is None else female
    first = rng.choice(_FEMALE_FIRST if is_female else _MALE_FIRST)
    male_form, female_form = rng.choice(_SURNAMES)
    return PersonName(
        last=female_form if is_female else male_form,
        first=first,
        middle=_patronymic(rng.choice(_FATHERS), is_female),
        female=is_female,
    )
