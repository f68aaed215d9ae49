from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dozvon.cli import app
from dozvon.web.passwords import hash_password, verify_password


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


def test_serve_refuses_to_start_without_a_session_secret(tmp_path: Path) -> None:
    config = tmp_path / "dozvon.yaml"
    config.write_text(
        f"database:\n  url: sqlite:///{tmp_path / 'x.sqlite'}\n"
        "web:\n  users:\n    - name: admin\n      role: admin\n"
        "      password_hash: ${WEB_HASH}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        ["serve", "--config", str(config)],
        env={"WEB_HASH": hash_password("long-password", n=2**10)},
    )
    assert result.exit_code == 2
    assert "session_secret" in result.output
