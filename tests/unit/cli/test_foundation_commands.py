"""`dozvon config check`, `dozvon db upgrade` and `dozvon doctor` as an admin runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dozvon.cli import app
from dozvon.store import current_revision, head_revision, make_engine
from tests.unit.store.pg import throwaway_database

REPO = Path(__file__).resolve().parents[3]
runner = CliRunner()


def test_config_check_accepts_the_example() -> None:
    result = runner.invoke(app, ["config", "check", str(REPO / "examples" / "dozvon.example.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")


def test_config_check_prints_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("web:\n  port: восемь\n  colour: red\n", encoding="utf-8")
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2 web.port: " in result.output
    assert f"{path}:3 web.colour: " in result.output


def test_db_upgrade_on_sqlite(tmp_path: Path) -> None:
    database = tmp_path / "var" / "d.sqlite"
    config = tmp_path / "dozvon.yaml"
    config.write_text(f"database:\n  url: sqlite:///{database}\n", encoding="utf-8")
    first = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert first.exit_code == 0, first.output
    assert head_revision() in first.output
    again = runner.invoke(app, ["db", "upgrade", "--config", str(config)])
    assert again.exit_code == 0
    assert "уже актуальна" in again.output
    engine = make_engine(f"sqlite:///{database}")
    assert current_revision(engine) == head_revision()
    engine.dispose()


@pytest.fixture
def pg_database() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


@pytest.mark.postgres
def test_db_upgrade_on_postgres(tmp_path: Path, pg_database: str) -> None:
    config = tmp_path / "dozvon.yaml"
    config.write_text(f"database:\n  url: {pg_database}\n", encoding="utf-8")
    result = runner.invoke(app, ["db", "upgrade", "-c", str(config)])
    assert result.exit_code == 0, result.output
    engine = make_engine(pg_database)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_db_upgrade_refuses_a_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "dozvon.yaml"
    config.write_text("database:\n  url: postgresql://u:plain@h/db\n", encoding="utf-8")
    result = runner.invoke(app, ["db", "upgrade", "-c", str(config)])
    assert result.exit_code == 2
    assert f"{config}:2 database.url" in result.output
    assert "plain" not in result.output


def test_doctor_fails_and_says_how_to_fix(tmp_path: Path) -> None:
    config = tmp_path / "dozvon.yaml"
    config.write_text(
        f"database:\n  url: sqlite:///{tmp_path / 'none.sqlite'}\n"
        "trunk:\n  host: 127.0.0.1\n  port: 9\n  bind_host: 127.0.0.1\n  bind_port: 0\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["doctor", "--config", str(config), "--sip-timeout", "0.2"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "dozvon db upgrade" in result.output
    assert "FAIL" in result.output
