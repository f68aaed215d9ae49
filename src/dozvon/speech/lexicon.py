"""Per-clinic pronunciation overrides, applied to text before it reaches a TTS engine.

One YAML file per clinic, laid over the shipped default (``data/lexicon.yaml``):

- ``phrases``: text as the MIS writes it → how to say it (service names);
- ``abbreviations``: whole words → letters spelled out («МРТ» → «эм эр тэ»);
- ``stress``: a word → the same word with ``+`` after the stressed vowel («Ивано+ва»).

Stress marks stay in the text in that engine-neutral form; each engine turns them into its own
syntax (espeak-ng phonemes, RHVoice's ``+`` before the vowel). The lexicon's ``version`` is a hash
of its content and is part of every audio cache key, so editing the file re-synthesizes exactly
the affected audio."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

import yaml

DEFAULT_LEXICON = Path(__file__).resolve().parent / "data" / "lexicon.yaml"
STRESS_MARK = "+"
SECTIONS = ("phrases", "abbreviations", "stress")
OTHER_SECTIONS = ("specialties",)
"""Sections of the same clinic file that other readers own (the specialty table)."""

_VOWELS = "аеёиоуыэюяАЕЁИОУЫЭЮЯ"
_WORD = re.compile(r"^[А-Яа-яЁё-]+$")
_POSSESSIVE = re.compile(r"(ов|ев|ёв|ин|ын)$")
_ENDINGS = ("", "а", "у", "ым", "е", "ой")
_WORD_IN_TEXT = re.compile(r"(?<![\w+])[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*(?![\w+])")
_STRESSED = re.compile(rf"^[А-Яа-яЁё-]*[{_VOWELS}]\+[А-Яа-яЁё-]*$")


class LexiconError(ValueError):
    """Every problem found in a lexicon file, each naming file, line and entry."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Lexicon:
    phrases: Mapping[str, str] = field(default_factory=dict)
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    stress: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, clinic_file: Path | None = None, *, with_default: bool = True) -> Lexicon:
        """The shipped lexicon, overridden entry by entry by the clinic's file."""
        merged: dict[str, dict[str, str]] = {name: {} for name in SECTIONS}
        for path in ([DEFAULT_LEXICON] if with_default else []) + (
            [clinic_file] if clinic_file else []
        ):
            for name, entries in read_lexicon(path).items():
                merged[name].update(entries)
        return cls(**merged)

    @cached_property
    def version(self) -> str:
        """A hash of the content: equal lexicons share a version whatever file they came from."""
        canonical = json.dumps(
            {name: dict(sorted(getattr(self, name).items())) for name in SECTIONS},
            ensure_ascii=False,
            sort_keys=True,
        )
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def apply(self, text: str) -> str:
        """Phrases first (they may contain abbreviations), then abbreviations, then stress."""
        for pattern, spoken in self._rules:
            text = pattern.sub(spoken.replace("\\", "\\\\"), text)  # literal, not a template
        return _WORD_IN_TEXT.sub(self._stress_word, text) if self._stressed else text

    @cached_property
    def _rules(self) -> list[tuple[re.Pattern[str], str]]:
        rules: list[tuple[re.Pattern[str], str]] = []
        for written, spoken in sorted(self.phrases.items(), key=lambda kv: -len(kv[0])):
            words = r"\s+".join(_yo_pattern(re.escape(w)) for w in written.split())
            rules.append((re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE), spoken))
        for written, spoken in self.abbreviations.items():
            rules.append((re.compile(rf"(?<![\w-]){re.escape(written)}(?!\w)"), spoken))
        return rules

    @cached_property
    def _stressed(self) -> dict[str, str]:
        """Lower-cased word → marked word: the entries, and for a surname in -ов/-ин (-ова/-ина)
        its other case forms, so «Ивано+ва» also marks «Ивановой» and «Иванову». An explicit
        entry for a form wins over a generated one."""
        table: dict[str, str] = {}
        for written, spoken in self.stress.items():
            for form, marked in surname_forms(written, spoken).items():
                table.setdefault(_fold(form), marked)
        for written, spoken in self.stress.items():
            table[_fold(written)] = spoken
        return table

    def _stress_word(self, match: re.Match[str]) -> str:
        word = match.group()
        marked = self._stressed.get(_fold(word))
        if marked is not None:
            return _keep_case(marked, word)
        if "-" in word:  # each part of «Иванова-Петрова» on its own
            return "-".join(
                _keep_case(self._stressed[_fold(p)], p) if _fold(p) in self._stressed else p
                for p in word.split("-")
            )
        return word


def surname_forms(written: str, spoken: str) -> dict[str, str]:
    """Every case form, both genders, of a possessive surname (-ов, -ев, -ин, -ын and their -а),
    stressed as the entry says. Stress on the stem stays there («Ивано+ва» → «Ивано+вой»,
    «Ивано+вым»; «Семёнова» → «Семёновой»); stress on the ending follows the ending («Ильина+» →
    «Ильино+й», «Ильи+н»), as does the oblique stress of a man's surname stressed on -и́н
    («Ильи+н» → «Ильину+»)."""
    lowered = written.lower()
    if _POSSESSIVE.search(lowered):
        base = written
    elif _POSSESSIVE.search(lowered[:-1]) and lowered.endswith("а"):
        base = written[:-1]
    else:
        return {}
    if STRESS_MARK not in spoken:  # ё carries the stress, always on the stem
        return {base + e: spoken[: len(base)] + e for e in _ENDINGS}
    mark = spoken.index(STRESS_MARK)
    if base == written:
        on_ending = mark == len(base) - 1 and lowered.endswith(("ин", "ын"))
    else:
        on_ending = mark == len(written)
    if not on_ending:
        return {base + e: (base + e)[:mark] + STRESS_MARK + (base + e)[mark:] for e in _ENDINGS}
    forms = {base: base[:-1] + STRESS_MARK + base[-1]}
    forms.update({base + e: base + e[0] + STRESS_MARK + e[1:] for e in _ENDINGS[1:]})
    return forms


def _keep_case(spoken: str, original: str) -> str:
    """The entry's letters (its ё) in the text's letter case: «ИВАНОВА» → «ИВАНО+ВА»."""
    letters = iter(original)
    return "".join(
        c if c == STRESS_MARK else (c.upper() if next(letters).isupper() else c.lower())
        for c in spoken
    )


@cache
def default_lexicon() -> Lexicon:
    return Lexicon.load()


def strip_stress(text: str) -> str:
    """For engines that cannot take stress marks at all."""
    return text.replace(STRESS_MARK, "")


def read_lexicon(path: Path) -> dict[str, dict[str, str]]:
    """Parse and validate one file; raise LexiconError listing every problem, not just the first."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LexiconError([f"{path}: not UTF-8 text"]) from None
    except OSError as exc:
        raise LexiconError([f"{path}: cannot read: {exc.strerror}"]) from None
    try:
        root = yaml.compose(source)
    except yaml.YAMLError as exc:
        raise LexiconError([f"{path}: not valid YAML: {exc}"]) from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise LexiconError(
            [f"{path}:{root.start_mark.line + 1}: expected sections {', '.join(SECTIONS)}"]
        )
    problems: list[str] = []
    result: dict[str, dict[str, str]] = {}
    for key_node, value_node in root.value:
        section = key_node.value
        where = f"{path}:{key_node.start_mark.line + 1}"
        if section in OTHER_SECTIONS:
            continue
        if section not in SECTIONS:
            problems.append(f"{where}: unknown section {section!r}; known: {', '.join(SECTIONS)}")
            continue
        if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "~", "null"):
            result[section] = {}
            continue
        if not isinstance(value_node, yaml.MappingNode):
            problems.append(f"{where}: section {section!r} must map written text to spoken text")
            continue
        result[section] = _read_section(path, section, value_node, problems)
    if problems:
        raise LexiconError(problems)
    return result


def _read_section(
    path: Path, section: str, node: yaml.MappingNode, problems: list[str]
) -> dict[str, str]:
    entries: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        written = str(key_node.value).strip()
        where = f"{path}:{line}: {section} {written!r}"
        if not isinstance(value_node, yaml.ScalarNode) or value_node.tag != "tag:yaml.org,2002:str":
            problems.append(f"{where}: the spoken form must be text")
            continue
        spoken = str(value_node.value).strip()
        problem = _check(section, written, spoken)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        folded = written.lower() if section != "abbreviations" else written
        if folded in first_line:
            problems.append(f"{where}: duplicate of the entry on line {first_line[folded]}")
            continue
        first_line[folded] = line
        entries[written] = spoken
    return entries


def _check(section: str, written: str, spoken: str) -> str | None:
    if not written:
        return "empty entry"
    if not spoken:
        return "empty spoken form"
    if re.search(r"\d", spoken):
        return "the spoken form has digits; write the number in words"
    if section != "stress" and STRESS_MARK in written:
        return f"'{STRESS_MARK}' in the written form; stress goes in the spoken form"
    if section == "abbreviations" and not re.fullmatch(r"[\w-]+", written):
        return "an abbreviation is a single word"
    if section == "stress":
        if not _WORD.match(written):
            return "a stress entry is a single word of Russian letters"
        yo_only = STRESS_MARK not in spoken and "ё" in spoken.lower()
        if not yo_only and (spoken.count(STRESS_MARK) != 1 or not _STRESSED.match(spoken)):
            return (
                f"mark the stress with one '{STRESS_MARK}' after the stressed vowel (Ивано+ва) "
                "or write ё (Семёнова)"
            )
        if _fold(spoken.replace(STRESS_MARK, "")) != _fold(written):
            return (
                f"the spoken form {spoken!r} spells a different word; only add '{STRESS_MARK}' "
                "or put ё for е"
            )
    return None


def _yo_pattern(escaped: str) -> str:
    return re.sub("[еёЕЁ]", "[её]", escaped)


def _fold(word: str) -> str:
    """MIS often write е for ё: «Семенова» and «Семёнова» are one entry."""
    return word.lower().replace("ё", "е")
