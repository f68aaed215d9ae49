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
from collections.abc import Callable, Mapping
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
        for pattern, spoken, keep_case in self._rules:
            text = pattern.sub(_replacement(spoken, keep_case), text)
        return text

    @cached_property
    def _rules(self) -> list[tuple[re.Pattern[str], str, bool]]:
        rules: list[tuple[re.Pattern[str], str, bool]] = []
        for written, spoken in sorted(self.phrases.items(), key=lambda kv: -len(kv[0])):
            words = r"\s+".join(re.escape(w) for w in written.split())
            rules.append((re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE), spoken, False))
        for written, spoken in self.abbreviations.items():
            rules.append((re.compile(rf"(?<![\w-]){re.escape(written)}(?!\w)"), spoken, False))
        for written, spoken in self.stress.items():
            pattern = re.compile(rf"(?<![\w+]){re.escape(written)}(?![\w+])", re.IGNORECASE)
            rules.append((pattern, spoken, True))
        return rules


def _replacement(spoken: str, keep_case: bool) -> Callable[[re.Match[str]], str]:
    if keep_case:
        return lambda match: _keep_case(spoken, match.group())
    return lambda _match: spoken


def _keep_case(spoken: str, original: str) -> str:
    """A stress entry keeps the letter case the text had: «ИВАНОВА» → «ИВАНО+ВА»."""
    letters = iter(original)
    return "".join(c if c == STRESS_MARK else next(letters) for c in spoken)


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
        if spoken.count(STRESS_MARK) != 1 or not _STRESSED.match(spoken):
            return f"mark the stress with one '{STRESS_MARK}' after the stressed vowel: Ивано+ва"
        if spoken.replace(STRESS_MARK, "").lower() != written.lower():
            return f"the spoken form {spoken!r} spells a different word; only add '{STRESS_MARK}'"
    return None
