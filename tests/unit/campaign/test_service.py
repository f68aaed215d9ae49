"""`run_campaign_once`, the service call the demo uses: settings in, a summary out."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.dispatcher import CallEvent
from dozvon.campaign.service import run_campaign_once
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel, by_phone
from dozvon.config import load_settings
from dozvon.core.outcome import Channel, Outcome


async def test_run_campaign_once_syncs_dials_and_writes_back(site: Path, tmp_path: Path) -> None:
    settings, _ = load_settings(site)
    channel = SimulatedChannel(
        by_phone({}, SimulatedCall(Outcome.CONFIRMED, 0.01, 0.02)), SystemClock()
    )
    events: list[CallEvent] = []
    summary = await run_campaign_once(settings, {Channel.VOICE: channel}, on_event=events.append)
    assert summary.syncs["confirm"].tasks == 3
    assert summary.calls == 3 and summary.outcomes == {"confirmed": 3}
    assert summary.written_back == 3 and summary.not_written == 0
    assert [e.outcome for e in events].count(None) == 3  # progress: three starts, three ends
    with sqlite3.connect(tmp_path / "mis.sqlite") as db:
        assert {r for (r,) in db.execute("SELECT result FROM visits")} == {"confirmed"}
