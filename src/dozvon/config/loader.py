"""Read a YAML config, keeping the line of every key so each error can point at it.

`${NAME}` is replaced by the environment variable NAME, `${secret:NAME}` by NAME from the file
given as `secrets_file:` (relative to the config file), and `$${` writes a literal `${`.
A password, token or secret written literally into the config is refused: secrets never sit in a
file that may be committed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dozvon.config.errors import ConfigError, ConfigIssue, Key, dotted
from dozvon.config.secretfile import read_secrets
from dozvon.config.settings import Settings

CONFIG_ENV = "DOZVON_CONFIG"
_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SECRET_KEY = re.compile(
    r"passw|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|credential", re.I
)
_NOT_A_SECRET_KEY = re.compile(r"(_file|_path|_env)$", re.I)
_INLINE_SECRET = re.compile(
    r"://[^/@\s:]+:(?!\$\{)[^@\s]+@"  # scheme://user:password@host
    r"|(?:^|;)\s*(?:pwd|password)\s*=\s*(?!\$\{)[^;\s]",  # ODBC-style ...;PWD=password;
    re.I,
)


@dataclass(slots=True)
class ConfigDocument:
    """The parsed file: plain data after substitution, and the line every key came from."""

    path: Path | None
    data: dict[str, Any]
    lines: dict[Key, int] = field(default_factory=dict)
    env_names: dict[str, Key] = field(default_factory=dict)
    """Environment variables the config refers to, with the first key that uses each."""

    def line_of(self, key: Key) -> int | None:
        """The line of `key`, or of its nearest ancestor that is in the file (for a missing key)."""
        for end in range(len(key), -1, -1):
            line = self.lines.get(tuple(key[:end]))
            if line is not None:
                return line
        return None

    def issue(self, key: Key, message: str) -> ConfigIssue:
        """An issue located in this file: for validators of sections that own their own schema."""
        return ConfigIssue(self.path, self.line_of(key), tuple(key), message)


def parse_document(
    text: str, path: Path | None = None, environ: Mapping[str, str] | None = None
) -> ConfigDocument:
    """Parse and substitute; raise ConfigError naming every problem found."""
    env = os.environ if environ is None else environ
    root, lines = _compose(text, path)
    issues = list(_literal_secrets(root, (), path, lines))
    if issues:
        raise ConfigError(issues)
    document = ConfigDocument(path, root, lines)
    secrets = _secrets_for(document, env)
    _substitute(document, env, secrets)
    return document


def load_document(path: Path, environ: Mapping[str, str] | None = None) -> ConfigDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError.at(
            path, None, (), f"файл не читается / cannot read: {exc.strerror}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError.at(path, None, (), "файл не в UTF-8 / file is not UTF-8") from exc
    return parse_document(text, path, environ)


def validate(document: ConfigDocument) -> Settings:
    try:
        return Settings.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigError([_issue_from(document, error) for error in exc.errors()]) from exc


def load_settings(
    path: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[Settings, ConfigDocument]:
    """The settings of `path`, else of $DOZVON_CONFIG, else the built-in defaults."""
    env = os.environ if environ is None else environ
    if path is None and env.get(CONFIG_ENV):
        path = Path(env[CONFIG_ENV])
    document = ConfigDocument(None, {}) if path is None else load_document(path, env)
    return validate(document), document


# -- YAML with lines ---------------------------------------------------------------------------


def _compose(text: str, path: Path | None) -> tuple[dict[str, Any], dict[Key, int]]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "?"
        raise ConfigError.at(path, line, (), f"ошибка YAML / bad YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError.at(path, None, (), f"ошибка YAML / bad YAML: {exc}") from exc
    finally:
        loader.dispose()
    lines: dict[Key, int] = {(): 1}
    if node is None:
        return {}, lines
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError.at(
            path, node.start_mark.line + 1, (), "ожидался словарь / expected a mapping"
        )
    data = _build(loader, node, (), lines, path)
    assert isinstance(data, dict)
    return data, lines


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, key: Key, lines: dict[Key, int], path: Path | None
) -> Any:
    if len(key) > 50:
        raise ConfigError.at(path, node.start_mark.line + 1, key, "слишком глубоко / too deep")
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if (
                not isinstance(key_node, yaml.ScalarNode)
                or key_node.tag == "tag:yaml.org,2002:merge"
            ):
                raise ConfigError.at(
                    path, line, key, "ключ должен быть строкой / a key must be a plain string"
                )
            name = str(key_node.value)
            if name in result:
                raise ConfigError.at(path, line, (*key, name), "ключ повторён / duplicate key")
            lines[(*key, name)] = line
            result[name] = _build(loader, value_node, (*key, name), lines, path)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            lines[(*key, index)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*key, index), lines, path))
        return items
    if (
        isinstance(node, yaml.ScalarNode)
        and node.tag.endswith((":int", ":float"))
        and ":" in node.value
    ):
        return node.value  # YAML 1.1 reads 20:00 as base-60 1200; an admin means a time
    try:
        return loader.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError.at(
            path, node.start_mark.line + 1, key, f"значение / value: {exc.problem}"
        ) from exc


# -- secrets -----------------------------------------------------------------------------------


def _only_references(value: str) -> bool:
    return _REFERENCE.sub("", value).strip() == "" and "${" in value


def _literal_secrets(
    node: Any, key: Key, path: Path | None, lines: dict[Key, int]
) -> list[ConfigIssue]:
    fix = "используйте ${ENV} или ${secret:NAME} / use ${ENV} or ${secret:NAME}"
    issues: list[ConfigIssue] = []
    if isinstance(node, dict):
        for name, value in node.items():
            child = (*key, name)
            if (
                isinstance(value, str | int | float)
                and not isinstance(value, bool)
                and str(value) != ""
                and _SECRET_KEY.search(name)
                and not _NOT_A_SECRET_KEY.search(name)
                and not (isinstance(value, str) and _only_references(value))
            ):
                issues.append(
                    ConfigIssue(
                        path,
                        lines.get(child),
                        child,
                        f"секрет записан в файле / literal secret: {fix}",
                    )
                )
            else:
                issues.extend(_literal_secrets(value, child, path, lines))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            issues.extend(_literal_secrets(value, (*key, index), path, lines))
    elif isinstance(node, str) and _INLINE_SECRET.search(node):
        issues.append(
            ConfigIssue(
                path, lines.get(key), key, f"пароль внутри строки / password inside a string: {fix}"
            )
        )
    return issues


def _secrets_for(document: ConfigDocument, env: Mapping[str, str]) -> dict[str, str]:
    raw = document.data.get("secrets_file")
    if raw is None:
        return {}
    if not isinstance(raw, str) or not raw:
        raise ConfigError([document.issue(("secrets_file",), "ожидался путь / expected a path")])
    text = _replace(raw, document, ("secrets_file",), env, {})
    secrets_path = Path(text).expanduser()
    if not secrets_path.is_absolute() and document.path is not None:
        secrets_path = document.path.parent / secrets_path
    document.data["secrets_file"] = str(secrets_path)
    return read_secrets(secrets_path)


# -- substitution ------------------------------------------------------------------------------


def _substitute(
    document: ConfigDocument, env: Mapping[str, str], secrets: Mapping[str, str]
) -> None:
    issues: list[ConfigIssue] = []

    def walk(node: Any, key: Key) -> Any:
        if isinstance(node, dict):
            return {name: walk(value, (*key, name)) for name, value in node.items()}
        if isinstance(node, list):
            return [walk(value, (*key, index)) for index, value in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            try:
                return _replace(node, document, key, env, secrets)
            except ConfigError as exc:
                issues.extend(exc.issues)
        return node

    document.data = walk(document.data, ())
    if issues:
        raise ConfigError(issues)


def _replace(
    text: str,
    document: ConfigDocument,
    key: Key,
    env: Mapping[str, str],
    secrets: Mapping[str, str],
) -> str:
    problems: list[str] = []

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        reference = match.group(1).strip()
        kind, sep, name = reference.partition(":")
        if sep and kind == "secret":
            if not secrets and "secrets_file" not in document.data:
                problems.append(f"${{secret:{name}}} без secrets_file / needs secrets_file:")
            elif name not in secrets:
                problems.append(
                    f"нет секрета {name} в файле секретов / secret {name} not in the secrets file"
                )
            return secrets.get(name, "")
        if sep or not _ENV_NAME.match(reference):
            problems.append(
                f"непонятная ссылка ${{{reference}}}: ожидалось ${{ИМЯ}} или ${{secret:ИМЯ}}"
                f" / bad reference: expected ${{NAME}} or ${{secret:NAME}}"
            )
            return ""
        document.env_names.setdefault(reference, key)
        if reference not in env:
            problems.append(
                f"переменная окружения {reference} не задана / environment variable is not set"
            )
            return ""
        return env[reference]

    result = _REFERENCE.sub(one, text)
    if problems:
        raise ConfigError([document.issue(key, problem) for problem in problems])
    return result


# -- pydantic errors → file:line key -----------------------------------------------------------

_RUSSIAN = {
    "missing": "обязательный ключ не задан",
    "extra_forbidden": "неизвестный ключ",
    "int_parsing": "ожидалось целое число",
    "int_type": "ожидалось целое число",
    "float_parsing": "ожидалось число",
    "bool_parsing": "ожидалось да/нет (true/false)",
    "string_type": "ожидалась строка",
    "literal_error": "недопустимое значение",
    "enum": "недопустимое значение",
    "list_type": "ожидался список",
    "dict_type": "ожидался словарь",
    "model_type": "ожидался словарь",
    "greater_than_equal": "слишком маленькое значение",
    "greater_than": "слишком маленькое значение",
    "less_than_equal": "слишком большое значение",
    "less_than": "слишком большое значение",
    "time_parsing": "ожидалось время ЧЧ:ММ",
    "date_from_datetime_parsing": "ожидалась дата ГГГГ-ММ-ДД",
    "date_parsing": "ожидалась дата ГГГГ-ММ-ДД",
}


def _issue_from(document: ConfigDocument, error: Any) -> ConfigIssue:
    key: Key = tuple(part for part in error["loc"] if isinstance(part, str | int))
    message = str(error["msg"]).removeprefix("Value error, ")
    russian = _RUSSIAN.get(str(error["type"]))
    if russian and russian != message:
        message = f"{russian} / {message}"
    return document.issue(key, message)


__all__ = [
    "CONFIG_ENV",
    "ConfigDocument",
    "ConfigError",
    "ConfigIssue",
    "dotted",
    "load_document",
    "load_settings",
    "parse_document",
    "validate",
]
