"""The secrets file: `NAME=value` lines (.env style) or a YAML mapping, kept out of the repository.

A config names it with `secrets_file:` and refers to a value as `${secret:NAME}`.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from dozvon.config.errors import ConfigError, ConfigIssue

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def read_secrets(path: Path) -> dict[str, str]:
    """Read every secret; errors name the file and line but never echo a value."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError.at(
            path, None, (), f"файл секретов не читается / cannot read: {exc.strerror}"
        ) from exc
    if path.suffix.lower() in {".yaml", ".yml"}:
        return _read_yaml(path, text)
    return _read_dotenv(path, text)


def _read_dotenv(path: Path, text: str) -> dict[str, str]:
    secrets: dict[str, str] = {}
    issues: list[ConfigIssue] = []
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").lstrip()
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not _NAME.match(name):
            issues.append(
                ConfigIssue(path, number, (), "ожидалась строка ИМЯ=значение / expected NAME=value")
            )
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        secrets[name] = value
    if issues:
        raise ConfigError(issues)
    return secrets


def _read_yaml(path: Path, text: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise ConfigError.at(path, line, (), f"ошибка YAML / bad YAML: {exc.problem}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError.at(
            path, 1, (), "ожидался словарь ИМЯ: значение / expected a NAME: value mapping"
        )
    secrets: dict[str, str] = {}
    for name, value in data.items():
        if not isinstance(name, str) or not _NAME.match(name) or isinstance(value, dict | list):
            raise ConfigError.at(
                path, None, (str(name),), "ожидалось ИМЯ: строка / expected NAME: string"
            )
        secrets[name] = "" if value is None else str(value)
    return secrets
