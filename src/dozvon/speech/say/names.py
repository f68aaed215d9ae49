"""Full names (ФИО) in any case, for both genders.

First names and patronymics come from pymorphy3's dictionary, which knows them well. Surnames
follow the grammar rules for Russian surnames instead: pymorphy guesses unknown surnames as
common nouns and leaves some unchanged («Гусь», «Лебедь»), while the rules are few, fixed and
testable: indeclinable endings (-о, -е, -и, -у, -ых/-их, -ия), indeclinable women's surnames on a
consonant (Ким, Шульц), possessive (-ов, -ин), adjectival (-ский, -ой, -ая), nouns (-а, -ь,
consonant). The dictionary still decides the foreign ones with stressed final -а (Дюма, Золя)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from dozvon.speech.say.grammar import Case, Gender, match_capitalization, morph, to_case, to_gender

_CASES = (Case.GENT, Case.DATV, Case.ACCS, Case.ABLT, Case.LOCT)
_VELAR_OR_HUSHING = set("гкхжшчщ")
_HUSHING_OR_TS = set("жшчщц")
_VOWELS = set("аеёиоуыэюя")
_INVARIABLE_VOWELS = set("еёиоуыэю")
_PATRONYMIC_PARTICLES = {
    "оглы": Gender.MASC,
    "улы": Gender.MASC,
    "кызы": Gender.FEMN,
    "гызы": Gender.FEMN,
}
_INVARIABLE_PREFIXES = {"бонч", "тер", "сен", "ван", "фон", "де", "ди", "ле", "дель", "мак", "о"}
_CYRILLIC_WORD = re.compile(r"^[А-Яа-яЁё]{2,}(?:-[А-Яа-яЁё]*)*$")
_MALE_PATRONYMIC = re.compile(r"(ич|ыч)$")
_FEMALE_PATRONYMIC = re.compile(r"(вна|чна|шна)$")


class Role(StrEnum):
    SURNAME = "surname"
    FIRST = "first"
    PATRONYMIC = "patronymic"
    INVARIABLE = "invariable"


@dataclass(frozen=True, slots=True)
class NamePart:
    text: str
    role: Role


def name_ru(
    full_name: str, case: str | Case = Case.NOMN, gender: str | Gender | None = None
) -> str:
    """«Петров Сергей Иванович» with ``datv`` → «Петрову Сергею Ивановичу».

    Order may be «Фамилия Имя Отчество» (as MIS store it), «Имя Отчество», «Имя Отчество Фамилия»
    or a lone surname. Gender comes from the patronymic, then the first name, then the surname;
    pass ``gender`` when the data knows better."""
    if not isinstance(full_name, str):
        raise ValueError(f"{full_name!r} is not a name")
    grammatical = to_case(case)
    parts = split_name(full_name)
    sex = to_gender(gender) if gender is not None else guess_gender(parts)
    return " ".join(_inflect_part(part, grammatical, sex) for part in parts)


def split_name(full_name: str) -> list[NamePart]:
    words = full_name.split()
    if not words:
        raise ValueError("empty name")
    roles: list[Role] = [Role.SURNAME] * len(words)
    lowered = [w.lower() for w in words]
    if lowered[-1] in _PATRONYMIC_PARTICLES and len(words) >= 3:
        # «Алиев Рашид Гусейн оглы»: the father's name and the particle stay as they are
        roles[-1] = roles[-2] = Role.INVARIABLE
        roles[:-2] = _order(words[:-2])
    else:
        roles = _order(words)
    return [NamePart(w, r) for w, r in zip(words, roles, strict=True)]


def guess_gender(parts: list[NamePart]) -> Gender:
    for part in parts:
        word = part.text.lower()
        if word in _PATRONYMIC_PARTICLES:
            return _PATRONYMIC_PARTICLES[word]
        if part.role is Role.PATRONYMIC:
            return Gender.FEMN if _FEMALE_PATRONYMIC.search(word) else Gender.MASC
    for part in parts:
        if part.role is Role.FIRST:
            found = _first_name_gender(part.text)
            if found is not None:
                return found
    for part in parts:
        if part.role is Role.SURNAME:
            last = part.text.lower().split("-")[-1]
            if re.search(r"(ова|ева|ёва|ина|ына|ая|яя)$", last):
                return Gender.FEMN
    return Gender.MASC


def inflect_surname(surname: str, case: Case, gender: Gender) -> str:
    """Each part of a double surname declines on its own: «Римскому-Корсакову»."""
    pieces = surname.split("-")
    out = []
    for index, piece in enumerate(pieces):
        fixed = len(piece) < 2 or (
            index < len(pieces) - 1 and piece.lower() in _INVARIABLE_PREFIXES
        )
        out.append(
            piece if fixed else match_capitalization(_surname(piece.lower(), case, gender), piece)
        )
    return "-".join(out)


def _order(words: list[str]) -> list[Role]:
    is_patr = [_is_patronymic(w) for w in words]
    if len(words) == 1:
        return [Role.FIRST if _first_name_gender(words[0]) else Role.SURNAME]
    if len(words) == 2:
        if is_patr[1]:
            return [Role.FIRST, Role.PATRONYMIC]
        if _first_name_gender(words[0]) and not _first_name_gender(words[1]):
            return [Role.FIRST, Role.SURNAME]
        return [Role.SURNAME, Role.FIRST]
    if is_patr[1] and not is_patr[2]:
        return [Role.FIRST, Role.PATRONYMIC, Role.SURNAME, *[Role.INVARIABLE] * (len(words) - 3)]
    return [Role.SURNAME, Role.FIRST, Role.PATRONYMIC, *[Role.INVARIABLE] * (len(words) - 3)]


def _is_patronymic(word: str) -> bool:
    """«Петрович» is; «Шостакович», «Бабич» are surnames with the same ending."""
    lowered = word.lower()
    if not (_MALE_PATRONYMIC.search(lowered) or _FEMALE_PATRONYMIC.search(lowered)):
        return False
    parses = morph().parse(lowered)
    if any("Patr" in p.tag for p in parses):
        return True
    return not any("Surn" in p.tag for p in parses if p.is_known) and len(lowered) > 5


def _first_name_gender(word: str) -> Gender | None:
    for parse in morph().parse(word.lower()):
        if "Name" in parse.tag and parse.tag.case == "nomn" and parse.is_known:
            if "masc" in parse.tag:
                return Gender.MASC
            if "femn" in parse.tag:
                return Gender.FEMN
    return None


def _inflect_part(part: NamePart, case: Case, gender: Gender) -> str:
    """Only Cyrillic words decline; «Smith», «123» or an initial «А.» are said as written."""
    if case is Case.NOMN or part.role is Role.INVARIABLE or not _CYRILLIC_WORD.match(part.text):
        return part.text
    if part.role is Role.SURNAME:
        return inflect_surname(part.text, case, gender)
    tag = "Name" if part.role is Role.FIRST else "Patr"
    inflected = _from_dictionary(part.text.lower(), tag, case, gender)
    if inflected is None:
        inflected = _noun(part.text.lower(), case, gender)
    return match_capitalization(inflected, part.text)


def _from_dictionary(word: str, tag: str, case: Case, gender: Gender) -> str | None:
    wanted = "femn" if gender is Gender.FEMN else "masc"
    for parse in morph().parse(word):
        if tag in parse.tag and parse.tag.case == "nomn" and parse.is_known:
            if wanted not in parse.tag and "ms-f" not in parse.tag:
                continue
            if "Fixd" in parse.tag:
                return word
            form = parse.inflect({case.value, "sing"})
            if form is not None:
                return str(form.word)
    return None


def _surname(word: str, case: Case, gender: Gender) -> str:
    if _indeclinable(word, gender):
        return word
    if gender is Gender.FEMN:
        if re.search(r"(ов|ев|ёв|ин|ын)а$", word):
            return word[:-1] + _pick(case, ("ой", "ой", "у", "ой", "ой"))
        if word.endswith("ая"):
            soft = word[-3] in _HUSHING_OR_TS
            return word[:-2] + _pick(
                case, ("ей" if soft else "ой",) * 2 + ("ую",) + ("ей" if soft else "ой",) * 2
            )
        if word.endswith("яя"):
            return word[:-2] + _pick(case, ("ей", "ей", "юю", "ей", "ей"))
        return _noun(word, case, gender)
    if re.search(r"(ов|ев|ёв|ин|ын)$", word):
        return word + _pick(case, ("а", "у", "а", "ым", "е"))
    if re.search(r"(ий|ый|ой)$", word) and len(word) > 4:
        return _adjective_masc(word, case)
    return _noun(word, case, gender)


def _indeclinable(word: str, gender: Gender) -> bool:
    if word[-1] in _INVARIABLE_VOWELS or re.search(r"(их|ых)$", word):
        return True
    if re.search(r"[иуоэе][ая]$", word):
        return True  # Данелия, Гулия, Гарсиа
    if gender is Gender.FEMN and word[-1] not in _VOWELS:
        return True  # Ким, Шульц, Лебедь
    if word[-1] in "ая":
        return any(
            {"Surn", "Fixd"} <= parse.tag.grammemes
            for parse in morph().parse(word)
            if parse.is_known
        )
    return False


def _adjective_masc(word: str, case: Case) -> str:
    stem = word[:-2]
    soft = word.endswith("ий") and stem[-1] in "нжшчщ"
    instrumental = "им" if word.endswith("ий") or stem[-1] in _VELAR_OR_HUSHING else "ым"
    if soft:
        return stem + _pick(case, ("его", "ему", "его", instrumental, "ем"))
    return stem + _pick(case, ("ого", "ому", "ого", instrumental, "ом"))


def _noun(word: str, case: Case, gender: Gender) -> str:
    """Nouns of the first declension (-а, -я) and, for men, the second (consonant, -ь, -й)."""
    if word.endswith("а"):
        stem = word[:-1]
        gent = "и" if stem[-1] in _VELAR_OR_HUSHING else "ы"
        ablt = "ей" if stem[-1] in _HUSHING_OR_TS else "ой"
        return stem + _pick(case, (gent, "е", "у", ablt, "е"))
    if word.endswith("я"):
        stem = word[:-1]
        if stem.endswith("и"):
            return stem + _pick(case, ("и", "и", "ю", "ей", "и"))
        return stem + _pick(case, ("и", "е", "ю", "ей", "е"))
    if gender is Gender.FEMN:
        return word
    if word[-1] in "ьй":
        return word[:-1] + _pick(case, ("я", "ю", "я", "ем", "е"))
    ablt = "ем" if word[-1] in _HUSHING_OR_TS else "ом"
    return word + _pick(case, ("а", "у", "а", ablt, "е"))


def _pick(case: Case, endings: tuple[str, str, str, str, str]) -> str:
    return endings[_CASES.index(case)]
