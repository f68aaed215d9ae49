"""`dozvon sync` and `dozvon mis test` with an interface connector: FHIR on the real server."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from dozvon.cli import app

runner = CliRunner()
DAY = "2027-03-15"


def config(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "dozvon.yaml"
    path.write_text(
        f"""
clinic:
  timezone: Europe/Moscow
database:
  url: sqlite:///{tmp_path / "store.sqlite"}
mis:
  name: fhir-cli
  source: {source}
  mapping:
    timezone: Europe/Moscow
    fields:
      external_id: id
      patient.name: patient_name
      patient.phones: patient_phones
      start: start
""",
        encoding="utf-8",
    )
    return path


def seed(base_url: str) -> None:
    with httpx.Client(base_url=base_url + "/") as client:
        patient = client.post(
            "Patient",
            json={
                "resourceType": "Patient",
                "name": [{"text": "Орлова Ольга"}],
                "telecom": [{"system": "phone", "value": "+79161112233"}],
            },
        ).json()["id"]
        for hour, ref in ((9, f"Patient/{patient}"), (10, "Patient/missing")):
            client.post(
                "Appointment",
                json={
                    "resourceType": "Appointment",
                    "status": "booked",
                    "start": f"{DAY}T{hour:02d}:00:00+03:00",
                    "participant": [{"actor": {"reference": ref}, "status": "needs-action"}],
                },
            ).raise_for_status()


def test_sync_dry_run_and_mis_test_with_fhir(fhir_base_url: str, tmp_path: Path) -> None:
    seed(fhir_base_url)
    path = config(tmp_path, f"{{kind: fhir, base_url: '{fhir_base_url}'}}")
    result = runner.invoke(
        app, ["sync", "--config", str(path), "--dry-run", "--date", DAY, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["appointments"], summary["tasks"]) == (2, 1, 1)
    assert summary["errors"][0]["field"] == "Patient"
    checked = runner.invoke(app, ["mis", "test", "--config", str(path), "--date", DAY])
    assert checked.exit_code == 0, checked.output
    assert "связь есть" in checked.stdout


def test_a_missing_secret_is_a_clear_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("B24_WEBHOOK_NOT_SET", raising=False)
    source = "{kind: bitrix24, webhook: {env: B24_WEBHOOK_NOT_SET}, date_field: ufCrm1Date}"
    result = runner.invoke(app, ["mis", "test", "--config", str(config(tmp_path, source))])
    assert result.exit_code == 1
    assert "B24_WEBHOOK_NOT_SET не задана" in result.stderr
