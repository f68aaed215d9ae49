"""`dozvon sync` and `dozvon mis test` end to end: a YAML config, a real SQLite MIS and store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dozvon.cli import app

from .conftest import SELECT, UPDATE, Backend, make_database

runner = CliRunner()


@pytest.fixture
def mis_db(tmp_path: Path) -> Backend:
    with make_database("sqlite", tmp_path) as db:
        yield db


def write_config(tmp_path: Path, mis_url: str, kind: str = "sql", extra: str = "") -> Path:
    select = SELECT.replace("\n", " ")
    text = f"""
clinic:
  timezone: Europe/Moscow
database:
  url: sqlite:///{tmp_path / "store.sqlite"}
mis:
  name: clinic
  source:
    kind: {kind}
    url: "{mis_url}"
    select: "{select}"
    writeback: "{UPDATE}"
  mapping:
    timezone: Europe/Moscow
    fields:
      external_id: id
      patient.name: patient_name
      patient.phones: phone
      start: appt_at
      doctor.name: doctor_name
{extra}"""
    path = tmp_path / "dozvon.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_dry_run_json_summary(tmp_path: Path, mis_db: Backend) -> None:
    config = write_config(tmp_path, mis_db.url)
    result = runner.invoke(
        app, ["sync", "--config", str(config), "--dry-run", "--date", "2026-11-27", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["appointments"], summary["tasks"]) == (6, 4, 4)
    assert summary["errors"] == [
        {
            "source": "clinic",
            "row": 3,
            "field": "phone",
            "message": summary["errors"][0]["message"],
        },
        {
            "source": "clinic",
            "row": 6,
            "field": "phone",
            "message": summary["errors"][1]["message"],
        },
    ]
    assert not (tmp_path / "store.sqlite").exists()


def test_sync_stores_the_worklist_idempotently(tmp_path: Path, mis_db: Backend) -> None:
    config = write_config(tmp_path, mis_db.url)
    for _ in range(2):
        result = runner.invoke(app, ["sync", "-c", str(config), "--date", "2026-11-27"])
        assert result.exit_code == 0, result.output
        assert "Приёмов / appointments:          4" in result.stdout
        assert "clinic, row 3, field 'phone'" in result.stdout
    store = sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    with store.connect() as conn:
        ids = conn.execute(sa.text("SELECT external_id FROM appointments ORDER BY external_id"))
        assert [row[0] for row in ids] == ["101", "102", "104", "105"]
    store.dispose()


def test_mis_test_checks_both_statements(tmp_path: Path, mis_db: Backend) -> None:
    config = write_config(tmp_path, mis_db.url)
    result = runner.invoke(app, ["mis", "test", "-c", str(config), "--date", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert "отменена" in result.stdout and result.stdout.rstrip().endswith("ОК / OK")


def test_config_errors_point_at_the_line(tmp_path: Path, mis_db: Backend) -> None:
    config = write_config(tmp_path, mis_db.url, extra="      patient.nmae: fio\n")
    result = runner.invoke(app, ["sync", "-c", str(config), "--dry-run"])
    assert result.exit_code == 2
    assert (
        f"{config}:15 mis.mapping.fields: неизвестные поля" in result.stderr
        and "patient.nmae" in result.stderr
    )

    config = write_config(tmp_path, mis_db.url, kind="sqll")
    result = runner.invoke(app, ["mis", "test", "-c", str(config)])
    assert result.exit_code == 2 and "sqll" in result.stderr


def test_unreachable_mis_exits_1(tmp_path: Path) -> None:
    config = write_config(tmp_path, "mysql+pymysql://nobody@127.0.0.1:1/none")
    text = config.read_text(encoding="utf-8").replace("  mapping:", "    retries: 1\n  mapping:")
    config.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["sync", "-c", str(config), "--dry-run"])
    assert result.exit_code == 1 and "MIS failed" in result.stderr


def test_missing_secret_is_a_settings_error(tmp_path: Path, mis_db: Backend) -> None:
    config = write_config(tmp_path, mis_db.url)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("  mapping:", "    password_env: DOZVON_NOT_SET\n  mapping:"))
    result = runner.invoke(app, ["mis", "test", "-c", str(config)])
    assert result.exit_code == 2 and "DOZVON_NOT_SET" in result.stderr


def write_csv_site(tmp_path: Path, lines: list[str]) -> Path:
    """A CSV export (`lines`, header first) read by a config with an SQLite store."""
    (tmp_path / "visits.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "dozvon.yaml"
    config.write_text(
        f"""
clinic:
  timezone: Europe/Moscow
database:
  url: sqlite:///{tmp_path / "store.sqlite"}
mis:
  name: clinic
  source: {{kind: csv, path: {tmp_path / "visits.csv"}, results: none}}
  mapping:
    fields:
      external_id: id
      patient.name: fio
      patient.phones: tel
      start: {{column: at, formats: ["%d.%m.%Y %H:%M"]}}
""",
        encoding="utf-8",
    )
    return config


def test_a_long_sync_reports_progress_on_stderr(tmp_path: Path) -> None:
    """Over 10,000 rows the admin sees the sync is alive; stdout keeps only the summary."""
    rows = ["id;fio;tel;at"] + [
        f"{n};Пациент {n};8 916 {n:07d};27.11.2026 09:30" for n in range(1, 10_006)
    ]
    config = write_csv_site(tmp_path, rows)
    dry = runner.invoke(
        app, ["sync", "-c", str(config), "--dry-run", "--date", "2026-11-27", "--json"]
    )
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["appointments"] == 10_005
    assert dry.stderr.splitlines() == ["… прочитано строк / rows read: 10\N{NO-BREAK SPACE}000"]

    stored = runner.invoke(app, ["sync", "-c", str(config), "--date", "2026-11-27"])
    assert stored.exit_code == 0, stored.output
    assert stored.stderr.splitlines() == [
        "… прочитано строк / rows read: 10\N{NO-BREAK SPACE}000",
        "… запись в базу / storing: 10\N{NO-BREAK SPACE}005",
    ]


def test_a_read_cut_short_says_nothing_was_cancelled(tmp_path: Path) -> None:
    """A field past the csv module's size limit stops the parse: the rows before it are
    stored, and the summary says the visits after it were neither read nor cancelled."""
    huge = "Ж" * 200_000
    rows = [
        "id;fio;tel;at",
        "1;Пациент 1;8 916 0000001;27.11.2026 09:30",
        f'2;"{huge}";8 916 0000002;27.11.2026 10:30',
        "3;Пациент 3;8 916 0000003;27.11.2026 11:30",
    ]
    config = write_csv_site(tmp_path, rows)
    result = runner.invoke(app, ["sync", "-c", str(config), "--date", "2026-11-27"])
    assert result.exit_code == 0, result.output
    assert "Приёмов / appointments:          1" in result.stdout
    assert "clinic, row 3: CSV не разобран дальше этой строки" in result.stdout
    assert "none was cancelled" in result.stdout
