"""Secrets come only from the environment or the secrets file, never from the config itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from dozvon.config import ConfigError, Settings

Load = Callable[..., Settings]
Fails = Callable[..., ConfigError]

TRUNK = "trunk:\n  host: sip.example.ru\n  username: clinic\n"


def test_environment_variables_are_substituted(load: Load) -> None:
    settings = load(
        TRUNK + "  password: ${TRUNK_PASSWORD}\n  port: ${SIP_PORT}\n",
        {"TRUNK_PASSWORD": "s3cr3t", "SIP_PORT": "5070"},
    )
    assert settings.trunk is not None
    assert settings.trunk.password is not None
    assert settings.trunk.password.get_secret_value() == "s3cr3t"
    assert settings.trunk.port == 5070
    assert "s3cr3t" not in repr(settings)


def test_missing_environment_variable_is_named_with_its_line(fails: Fails) -> None:
    error = fails(TRUNK + "  password: ${TRUNK_PASSWORD}\n")
    [issue] = error.issues
    assert (issue.line, issue.key) == (4, ("trunk", "password"))
    assert "TRUNK_PASSWORD" in issue.message


def test_dollar_dollar_brace_is_a_literal(load: Load) -> None:
    settings = load("clinic:\n  name: 'Цена $${X}'\n")
    assert settings.clinic.name == "Цена ${X}"


@pytest.mark.parametrize(
    ("snippet", "key"),
    [
        (TRUNK + "  password: hunter2\n", ("trunk", "password")),
        (TRUNK + "  password: 12345\n", ("trunk", "password")),
        (TRUNK + "  password: pre${X}\n", ("trunk", "password")),
        (
            "web:\n  users:\n    - {name: a, password_hash: '$2b$12$abc'}\n",
            ("web", "users", 0, "password_hash"),
        ),
        ("mis:\n  kind: rest\n  api_token: abcdef\n", ("mis", "api_token")),
        ("mis:\n  Secret: abc\n", ("mis", "Secret")),
        ("database:\n  url: postgresql://dozvon:hunter2@db/dozvon\n", ("database", "url")),
        ("mis:\n  dsn: 'Driver={PostgreSQL};Server=db;UID=u;PWD=hunter2'\n", ("mis", "dsn")),
    ],
)
def test_literal_secret_is_refused(fails: Fails, snippet: str, key: tuple[object, ...]) -> None:
    error = fails(snippet, {"X": "y"})
    [issue] = error.issues
    assert issue.key == key
    assert "${ENV}" in issue.message
    assert "hunter2" not in str(error)


@pytest.mark.parametrize(
    "snippet",
    [
        TRUNK + "  password: ''\n",
        TRUNK + "  password: null\n",
        "database:\n  url: postgresql://dozvon:${DB_PASSWORD}@db/dozvon\n",
        "mis:\n  dsn: 'Driver=x;PWD=${DB_PASSWORD}'\n  token_file: /etc/dozvon/token\n",
    ],
)
def test_references_and_empty_secrets_are_accepted(load: Load, snippet: str) -> None:
    load(snippet, {"DB_PASSWORD": "pw"})


def test_secrets_file_in_dotenv_form(load: Load, tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text(
        "# trunk\nexport TRUNK_PASSWORD='p@ss=word'\n\nADMIN_HASH=\"$2b$12$x\"\n", encoding="utf-8"
    )
    settings = load(
        "secrets_file: secrets.env\n"
        + TRUNK
        + "  password: ${secret:TRUNK_PASSWORD}\n"
        + "web:\n  users:\n    - {name: admin, password_hash: '${secret:ADMIN_HASH}'}\n"
    )
    assert settings.trunk is not None and settings.trunk.password is not None
    assert settings.trunk.password.get_secret_value() == "p@ss=word"
    assert settings.web.users[0].password_hash.get_secret_value() == "$2b$12$x"
    assert settings.secrets_file == tmp_path / "secrets.env"


def test_secrets_file_in_yaml_form(load: Load, tmp_path: Path) -> None:
    (tmp_path / "secrets.yaml").write_text("TRUNK_PASSWORD: 12345\n", encoding="utf-8")
    settings = load(
        "secrets_file: secrets.yaml\n" + TRUNK + "  password: ${secret:TRUNK_PASSWORD}\n"
    )
    assert settings.trunk is not None and settings.trunk.password is not None
    assert settings.trunk.password.get_secret_value() == "12345"


def test_secrets_file_path_may_come_from_the_environment(load: Load, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.env").write_text("P=1\n", encoding="utf-8")
    settings = load(
        "secrets_file: ${SECRETS}\n" + TRUNK + "  password: ${secret:P}\n",
        {"SECRETS": str(tmp_path / "elsewhere.env")},
    )
    assert settings.trunk is not None and settings.trunk.password is not None


def test_unknown_secret_is_named(fails: Fails, tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("OTHER=x\n", encoding="utf-8")
    error = fails("secrets_file: secrets.env\n" + TRUNK + "  password: ${secret:TRUNK_PASSWORD}\n")
    assert error.issues[0].line == 5
    assert "TRUNK_PASSWORD" in error.issues[0].message


def test_secret_reference_without_secrets_file(fails: Fails) -> None:
    error = fails(TRUNK + "  password: ${secret:TRUNK_PASSWORD}\n")
    assert "secrets_file" in error.issues[0].message


def test_missing_secrets_file_is_named(fails: Fails, tmp_path: Path) -> None:
    error = fails("secrets_file: gone.env\n")
    assert str(tmp_path / "gone.env") in str(error)


def test_bad_line_in_secrets_file_is_named_without_its_value(fails: Fails, tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("A=1\nhunter2 without equals\n", encoding="utf-8")
    error = fails("secrets_file: secrets.env\n")
    [issue] = error.issues
    assert issue.file == tmp_path / "secrets.env"
    assert issue.line == 2
    assert "hunter2" not in str(error)


@pytest.mark.parametrize("reference", ["${}", "${1X}", "${env:X}", "${X Y}"])
def test_malformed_references_are_explained(fails: Fails, reference: str) -> None:
    error = fails(f"clinic:\n  name: '{reference}'\n")
    assert error.issues[0].line == 2
    assert "${NAME}" in error.issues[0].message
