"""`dozvon demo` end to end: the demo MIS, virtual patients, and the ordinary campaign engine.

Nothing here is staged: the robot syncs the demo MIS through the SQL connector, places real SIP
calls with RTP audio to the virtual patients, hears their keys, and writes each outcome back into
the demo MIS through the outbox, exactly as it would for a clinic.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dozvon.campaign.dispatcher import CallEvent
from dozvon.campaign.service import CampaignRunner, dispatch_settings, spec_from_settings
from dozvon.campaign.sync import day_window
from dozvon.channels.voice.setup import open_voice_channel
from dozvon.config import Settings, load_settings
from dozvon.core.outcome import Channel
from dozvon.core.phone import normalize_phone
from dozvon.demo.behaviours import EXPECTED_OUTCOME, Behaviour
from dozvon.demo.clinic import DemoClinic, build_demo_clinic
from dozvon.demo.line import start_virtual_patients
from dozvon.demo.patients import load_roles
from dozvon.dialog.library import find
from dozvon.mis.config import load, open_connector
from dozvon.store import Store, upgrade

CONFIG = Path(__file__).parent / "data" / "dozvon.yaml"
RETRY_HORIZON = timedelta(seconds=60)
"""Retries due sooner than this are waited for, so the demo shows them; later ones are left."""


@dataclass(slots=True)
class VisitResult:
    visit_id: str
    behaviour: Behaviour | None
    cancelled: bool
    written: str | None
    attempts: int

    @property
    def expected(self) -> str | None:
        if self.cancelled or self.behaviour is None:
            return None
        return EXPECTED_OUTCOME[self.behaviour].value


@dataclass(slots=True)
class DemoReport:
    clinic: DemoClinic
    calls: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    written_back: int = 0
    not_written: int = 0
    visits: list[VisitResult] = field(default_factory=list)
    config_path: Path | None = None

    @property
    def mismatches(self) -> list[VisitResult]:
        return [v for v in self.visits if v.written != v.expected]

    def as_json(self) -> dict[str, object]:
        return {
            "patients": self.clinic.patients,
            "calls": self.calls,
            "outcomes": dict(sorted(self.outcomes.items())),
            "written_back": self.written_back,
            "mis": str(self.clinic.mis_path),
        }


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _fresh_store(folder: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        (folder / f"dozvon.sqlite{suffix}").unlink(missing_ok=True)


def write_demo_config(folder: Path, patients_port: int) -> Path:
    """The demo's config with this run's folder and ports filled in, kept for `dozvon report`."""
    values = {
        "DOZVON_DEMO_DIR": str(folder.resolve()),
        "DOZVON_DEMO_PATIENTS_HOST": "127.0.0.1",
        "DOZVON_DEMO_PATIENTS_PORT": str(patients_port),
        "DOZVON_DEMO_ROBOT_PORT": str(_free_udp_port()),
    }
    text = CONFIG.read_text("utf-8")
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    path = folder / "dozvon.yaml"
    path.write_text(text, "utf-8")
    return path


async def run_demo(
    folder: Path,
    patients: int,
    on_event: Callable[[CallEvent], None] | None = None,
    time_limit: float = 110.0,
) -> DemoReport:
    zone = ZoneInfo("Europe/Moscow")
    day: date = datetime.now(zone).date() + timedelta(days=1)
    clinic = build_demo_clinic(folder, day, patients)
    _fresh_store(folder)
    roles = load_roles(clinic.behaviours_path)
    line, _ = await start_virtual_patients(roles, cache_dir=folder / "speech-cache")
    try:
        config_path = write_demo_config(folder, line.ua.port)
        settings, _ = load_settings(config_path)
        report = await _campaign(settings, clinic, day, on_event, time_limit)
        report.config_path = config_path
        return report
    finally:
        await line.stop()


async def _campaign(
    settings: Settings,
    clinic: DemoClinic,
    day: date,
    on_event: Callable[[CallEvent], None] | None,
    time_limit: float,
) -> DemoReport:
    assert settings.mis is not None
    store = Store(settings.database.url)
    upgrade(store.engine)
    connector = open_connector(load(settings.mis))
    robot, voice = await open_voice_channel(settings)
    runner = CampaignRunner(
        store,
        connector,
        connector,
        {c.name: spec_from_settings(c, find(c.scenario)) for c in settings.campaigns},
        {Channel.VOICE: voice},
        dispatch=dispatch_settings(settings),
        clinic_timezone=settings.clinic.timezone,
        on_event=on_event,
    )
    window = day_window(day, 1, settings.clinic.timezone)
    deadline = asyncio.get_running_loop().time() + time_limit
    try:
        while True:
            await runner.run_once(window)
            next_due = runner.state.next_due_at(runner.state.running_campaigns())
            wait = (next_due - datetime.now(UTC)).total_seconds() if next_due else None
            loop_time = asyncio.get_running_loop().time()
            if wait is None or wait > RETRY_HORIZON.total_seconds() or loop_time + wait > deadline:
                break
            await asyncio.sleep(max(wait, 0.0))
    finally:
        await robot.stop()
        await connector.aclose()
        store.dispose()
    summary = runner.summary
    return DemoReport(
        clinic,
        calls=summary.calls,
        outcomes=dict(summary.outcomes),
        written_back=summary.written_back,
        not_written=summary.not_written,
        visits=read_results(clinic),
    )


def read_results(clinic: DemoClinic) -> list[VisitResult]:
    """What the demo MIS holds now, beside what each patient's role should have produced."""
    roles = load_roles(clinic.behaviours_path)
    with sqlite3.connect(clinic.mis_path) as db:
        rows = db.execute(
            "SELECT v.id, p.phone, v.state, v.call_result, v.call_attempts "
            "FROM visits v JOIN patients p ON p.id = v.patient_id ORDER BY v.id"
        ).fetchall()
    results = []
    for visit_id, phone, state, written, attempts in rows:
        role = roles.get(normalize_phone(phone))
        results.append(
            VisitResult(
                str(visit_id), role.behaviour if role else None, state == "отменён", written,
                attempts,
            )
        )
    return results


def outcome_counts(visits: list[VisitResult]) -> Counter[str]:
    return Counter(v.written or "—" for v in visits)
