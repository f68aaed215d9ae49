"""`dozvon campaign …`, `dozvon report`, `dozvon reconcile` on a real store and an SQLite MIS."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from typer.testing import CliRunner

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.cli import app
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours
from dozvon.mis.config import load, open_connector
from dozvon.store import Store, upgrade

from .conftest import MOSCOW


def run_campaign(site: Path) -> None:
    """One campaign run with the simulated channel: 1 confirms, 2 is busy, 3 declines."""
    settings = yaml.safe_load(site.read_text(encoding="utf-8"))
    store = Store(settings["database"]["url"])
    upgrade(store.engine)
    connector = open_connector(load(settings["mis"]))
    calls = {
        "+79160000002": SimulatedCall(Outcome.BUSY, 0.01),
        "+79160000003": SimulatedCall(Outcome.DECLINED, 0.01, 0.02),
    }
    clock = SystemClock()
    channel = SimulatedChannel(by_phone(calls, SimulatedCall(Outcome.CONFIRMED, 0.01, 0.02)), clock)
    runner = CampaignRunner(
        store, connector, connector,
        {"confirm": CampaignSpec("confirm", hours=CallingHours(clock_time(0), clock_time(23, 59)))},
        {Channel.VOICE: channel}, clock=clock, clinic_timezone="Europe/Moscow",
    )  # fmt: skip

    async def go() -> None:
        try:
            await runner.run_once(flush_seconds=5)
        finally:
            await connector.aclose()

    asyncio.run(go())
    store.dispose()


def test_campaign_pause_resume_status(site: Path) -> None:
    cli = CliRunner()
    started = cli.invoke(app, ["campaign", "start", "confirm", "--config", str(site)])
    assert started.exit_code == 0, started.output
    assert "read 3, задач / tasks 3" in started.output  # the worklist was read at once
    paused = cli.invoke(app, ["campaign", "pause", "confirm", "--config", str(site)])
    assert paused.exit_code == 0 and "paused" in paused.output
    status = cli.invoke(app, ["campaign", "status", "confirm", "--config", str(site), "--json"])
    assert json.loads(status.output)["state"] == "paused"
    assert json.loads(status.output)["why"] == "paused by an operator"
    assert cli.invoke(app, ["campaign", "resume", "confirm", "--config", str(site)]).exit_code == 0
    unknown = cli.invoke(app, ["campaign", "pause", "nosuch", "--config", str(site)])
    assert unknown.exit_code == 2


def test_report_in_every_format(site: Path, tmp_path: Path) -> None:
    run_campaign(site)
    cli = CliRunner()
    today = datetime.now(MOSCOW).date().isoformat()
    as_json = cli.invoke(
        app, ["report", "--config", str(site), "--date", today, "--format", "json"]
    )
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    total = data["funnel"][-1]
    assert (total["dialed"], total["confirmed"], total["declined"], total["written_back"]) == (
        3,
        1,
        1,
        3,
    )
    assert data["outcomes"] == {"busy": 1, "confirmed": 1, "declined": 1}
    assert data["reach_rate"] == pytest.approx(2 / 3)
    assert data["not_in_mis"] == []

    as_csv = cli.invoke(app, ["report", "--config", str(site), "--date", today, "--format", "csv"])
    table = [row for row in csv.reader(io.StringIO(as_csv.output)) if row]
    assert table[0][0] == "attempt" and table[-1][:2] == ["all", "3"]

    target = tmp_path / "report.xlsx"
    as_xlsx = cli.invoke(
        app,
        ["report", "--config", str(site), "--date", today, "--format", "xlsx", "-o", str(target)],
    )
    assert as_xlsx.exit_code == 0
    sheet = load_workbook(target).active
    assert sheet is not None and sheet.max_row == 3  # header, attempt 1, all

    as_table = cli.invoke(app, ["report", "--config", str(site), "--date", today])
    assert "Воронка" in as_table.output


def test_reconcile_finds_a_result_overwritten_in_the_mis(site: Path, tmp_path: Path) -> None:
    run_campaign(site)
    cli = CliRunner()
    tomorrow = (datetime.now(UTC).astimezone(MOSCOW).date() + timedelta(days=1)).isoformat()
    clean = cli.invoke(app, ["reconcile", "--config", str(site), "--date", tomorrow, "--json"])
    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.output)["changed_after_write"] == []
    with sqlite3.connect(tmp_path / "mis.sqlite") as db:  # a receptionist moves visit 1
        db.execute("UPDATE visits SET at = replace(at, ' 11:', ' 16:') WHERE id = 1")
    drift = cli.invoke(app, ["reconcile", "--config", str(site), "--date", tomorrow, "--json"])
    assert drift.exit_code == 1
    assert [d["appointment_id"] for d in json.loads(drift.output)["changed_after_write"]] == ["1"]
