from __future__ import annotations

from typer.testing import CliRunner

from dozvon.cli import app
from dozvon.web.passwords import verify_password


def test_hash_password_prompts_twice_and_prints_a_hash() -> None:
    typed = "long-password\nlong-password\n"
    result = CliRunner().invoke(app, ["web", "hash-password"], input=typed)
    assert result.exit_code == 0, result.output
    encoded = result.output.strip().splitlines()[-1].split(":")[-1].strip()
    assert verify_password("long-password", encoded)
    assert "long-password" not in result.output


def test_hash_password_refuses_a_short_password() -> None:
    result = CliRunner().invoke(app, ["web", "hash-password"], input="short\nshort\n")
    assert result.exit_code == 2


def test_hash_password_takes_no_argument() -> None:
    assert CliRunner().invoke(app, ["web", "hash-password", "secret"]).exit_code != 0
