"""Doctors' specialties in any case, from a reviewed table, never by inflecting word by word.

A specialty is a phrase whose head noun declines while its complements do not («врачу
ультразвуковой диагностики», not «врачу ультразвуковому диагностики»); only a person can be
trusted to get every one right, so the forms are written out in ``data/specialties.yaml``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from dozvon.speech.say.grammar import Case, to_case

DEFAULT_TABLE = Path(__file__).resolve().parent.parent / "data" / "specialties.yaml"


class SpecialtyError(ValueError):
    """A specialty table is malformed, or a specialty is not in any table."""


@dataclass(frozen=True, slots=True)
class Specialty:
    forms: Mapping[Case, str]
    source: str
    """Where the entry came from, «file: entry», for error messages."""


class SpecialtyTable:
    def __init__(self, entries: Mapping[str, Specialty]) -> None:
        self._entries = dict(entries)

    @classmethod
    def load(cls, *paths: Path) -> SpecialtyTable:
        """Later files (a clinic's own) add to and override earlier ones (the shipped table)."""
        entries: dict[str, Specialty] = {}
        for path in paths:
            entries.update(_read_table(path))
        return cls(entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._entries

    def __len__(self) -> int:
        return len({id(s) for s in self._entries.values()})

    def say(self, name: str, case: str | Case = Case.NOMN) -> str:
        if not isinstance(name, str):
            raise SpecialtyError(f"{name!r} is not a specialty")
        try:
            entry = self._entries[_key(name)]
        except KeyError:
            raise SpecialtyError(
                f"specialty {name!r} is not in the specialties table; add it with all six case "
                "forms to the clinic's specialties file (docs/guide/lexicon.md)"
            ) from None
        return entry.forms[to_case(case)]

    def unknown(self, names: Iterable[str]) -> list[str]:
        """Specialties tomorrow's appointments use that no table knows: checked before calling."""
        return sorted({n for n in names if n and n not in self})


@cache
def default_table() -> SpecialtyTable:
    return SpecialtyTable.load(DEFAULT_TABLE)


def clinic_table(clinic_file: Path | None) -> SpecialtyTable:
    """The shipped table plus the ``specialties:`` section of the clinic's lexicon file, if any."""
    return SpecialtyTable.load(DEFAULT_TABLE, clinic_file) if clinic_file else default_table()


def specialty_ru(name: str, case: str | Case = Case.NOMN) -> str:
    """«Терапевт» with ``datv`` → «врачу-терапевту»; raises SpecialtyError for an unknown one."""
    return default_table().say(name, case)


def _key(name: str) -> str:
    """MIS spell one specialty many ways: «Врач - терапевт», «ВРАЧ-ТЕРАПЕВТ», «врач терапевт»."""
    text = name.lower().replace("ё", "е").strip()
    text = re.sub(r"\s*[-‐‑–—]\s*", "-", text)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"^врач ", "врач-", text) if text.count(" ") == 1 else text


def _read_table(path: Path) -> dict[str, Specialty]:
    try:
        source = path.read_text(encoding="utf-8")
        document = yaml.safe_load(source)
        lines = _entry_lines(source)
    except UnicodeDecodeError:
        raise SpecialtyError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise SpecialtyError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SpecialtyError(f"{path}: not valid YAML: {exc}") from None
    if document is None or (isinstance(document, dict) and "specialties" not in document):
        return {}  # a clinic's lexicon file that adds no specialties
    table = document.get("specialties") if isinstance(document, dict) else None
    if not isinstance(table, dict):
        raise SpecialtyError(f"{path}: expected a top-level 'specialties:' mapping")
    entries: dict[str, Specialty] = {}
    for name, body in table.items():
        where = f"{path}:{lines.get(str(name), 0)}: specialty {name!r}"
        if not isinstance(body, dict):
            raise SpecialtyError(f"{where}: expected a mapping of case forms")
        missing = [
            c.value
            for c in Case
            if not isinstance(body.get(c.value), str) or not body[c.value].strip()
        ]
        if missing:
            raise SpecialtyError(f"{where}: missing case form(s) {', '.join(missing)}")
        extra = set(body) - {c.value for c in Case} - {"aliases"}
        if extra:
            raise SpecialtyError(f"{where}: unknown field(s) {', '.join(sorted(map(str, extra)))}")
        aliases = body.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise SpecialtyError(f"{where}: 'aliases' must be a list of names")
        entry = Specialty({c: body[c.value].strip() for c in Case}, where)
        for spelling in (str(name), *aliases):
            key = _key(spelling)
            if key in entries and entries[key] is not entry:
                raise SpecialtyError(
                    f"{where}: {spelling!r} is already used by {entries[key].source}"
                )
            entries[key] = entry
    return entries


def _entry_lines(source: str) -> dict[str, int]:
    """Line of each entry under ``specialties:``, so errors point into the clinic's file."""
    root = yaml.compose(source)
    if not isinstance(root, yaml.MappingNode):
        return {}
    for key, value in root.value:
        if key.value == "specialties" and isinstance(value, yaml.MappingNode):
            return {str(k.value): k.start_mark.line + 1 for k, _ in value.value}
    return {}
