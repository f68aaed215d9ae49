"""Grammatical case and gender as template authors may spell them, normalised once.

Scenario authors write pymorphy tags (``gent``), English names (``genitive``) or Russian
abbreviations (``род``); every renderer takes any of them and fails loudly on anything else."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

import pymorphy3  # type: ignore[import-untyped]


class Case(StrEnum):
    """The six cases, valued by their pymorphy (OpenCorpora) tags."""

    NOMN = "nomn"
    GENT = "gent"
    DATV = "datv"
    ACCS = "accs"
    ABLT = "ablt"
    LOCT = "loct"

    @property
    def num2words(self) -> str:
        """The name num2words' Russian ``case=`` argument expects."""
        return _NUM2WORDS[self]


class Gender(StrEnum):
    MASC = "m"
    FEMN = "f"
    NEUT = "n"


_NUM2WORDS = {
    Case.NOMN: "nominative",
    Case.GENT: "genitive",
    Case.DATV: "dative",
    Case.ACCS: "accusative",
    Case.ABLT: "instrumental",
    Case.LOCT: "prepositional",
}

_CASE_ALIASES: dict[str, Case] = {}
for _case, _names in {
    Case.NOMN: ("nomn", "nom", "nominative", "им", "именительный"),
    Case.GENT: ("gent", "gen", "genitive", "род", "родительный"),
    Case.DATV: ("datv", "dat", "dative", "дат", "дательный"),
    Case.ACCS: ("accs", "acc", "accusative", "вин", "винительный"),
    Case.ABLT: ("ablt", "ins", "instrumental", "тв", "твор", "творительный"),
    Case.LOCT: ("loct", "loc", "prepositional", "пр", "пред", "предложный"),
}.items():
    for _name in _names:
        _CASE_ALIASES[_name] = _case

_GENDER_ALIASES = {
    "m": Gender.MASC, "masc": Gender.MASC, "м": Gender.MASC, "муж": Gender.MASC,
    "f": Gender.FEMN, "femn": Gender.FEMN, "ж": Gender.FEMN, "жен": Gender.FEMN,
    "n": Gender.NEUT, "neut": Gender.NEUT, "с": Gender.NEUT, "ср": Gender.NEUT,
}  # fmt: skip


def to_case(value: str | Case) -> Case:
    if isinstance(value, Case):
        return value
    try:
        return _CASE_ALIASES[value.strip().lower()]
    except KeyError:
        known = ", ".join(c.value for c in Case)
        raise ValueError(f"unknown grammatical case {value!r}; use one of {known}") from None


def to_gender(value: str | Gender) -> Gender:
    if isinstance(value, Gender):
        return value
    try:
        return _GENDER_ALIASES[value.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown gender {value!r}; use m, f or n") from None


@cache
def morph() -> pymorphy3.MorphAnalyzer:
    """One analyzer per process: loading the dictionaries takes a tenth of a second."""
    return pymorphy3.MorphAnalyzer()


def match_capitalization(word: str, like: str) -> str:
    """pymorphy answers in lower case; give the word back the shape the MIS wrote."""
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
