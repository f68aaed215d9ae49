"""`dozvon run` as an admin starts it, stopped with SIGTERM mid-call: no new calls after the
signal, the calls on the line are closed when the grace period ends, every outcome reaches the
MIS, and the process exits 0."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.integration.sip.conftest import free_port, stop_process, wait_for_port
from tests.sqlite_mis import sqlite_mis, tomorrows_visits

pytestmark = [pytest.mark.sip, pytest.mark.slow]
PEERS = Path(__file__).parent / "peers"
MOSCOW = ZoneInfo("Europe/Moscow")
VISITS = 6
LINES = 2


@pytest.fixture
def callee(tmp_path: Path) -> Iterator[int]:
    """A sipp patient who answers and stays on the line (presses keys far too late)."""
    scenario = (PEERS / "uas_keys.xml").read_text()
    hello = tmp_path / "silence.alaw"
    hello.write_bytes(b"\xd5" * 8000)
    for name, value in {
        "IDENTITY_MS": "60000",
        "MENU_MS": "1000",
        "DIGIT": "1",
        "HELLO": str(hello),
    }.items():
        scenario = scenario.replace(f"@{name}@", value)
    path = tmp_path / "callee.xml"
    path.write_text(scenario)
    port = free_port()
    process = subprocess.Popen(
        ["sipp", "-sf", str(path), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-mp", str(free_port()), "-nostdin"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for_port(port, process)
    try:
        yield port
    finally:
        stop_process(process)


def write_site(tmp_path: Path, sip_port: int) -> tuple[Path, Path, Path]:
    mis = tmp_path / "mis.sqlite"
    mis_section = sqlite_mis(
        mis, tomorrows_visits(VISITS), **{"branch.phone": {"const": "+7 495 555-00-00"}}
    )
    store = tmp_path / "dozvon.sqlite"
    rtp = free_port() // 2 * 2
    config = {
        "clinic": {"name": "Здоровье"},
        "database": {"url": f"sqlite:///{store}"},
        "trunk": {
            "host": "127.0.0.1", "port": sip_port, "register": False, "lines": LINES, "cps": 5,
            "bind_host": "127.0.0.1", "bind_port": free_port(),
            "rtp_ports": {"start": rtp, "end": rtp + 100}, "ring_timeout": "5s",
        },
        "speech": {"cache_dir": str(tmp_path / "speech")},
        "campaigns": [
            {"name": "confirm", "scenario": "confirm", "hours": {"start": "00:00", "end": "23:59"}}
        ],
        "mis": mis_section,
    }  # fmt: skip
    path = tmp_path / "dozvon.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path, store, mis


def attempts(store: Path) -> list[tuple[int, str | None]]:
    if not store.exists():
        return []
    engine = create_engine(f"sqlite:///{store}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT id, outcome FROM attempts"))]  # type: ignore[misc]
    except Exception:  # the daemon has not created its tables yet
        return []
    finally:
        engine.dispose()


def test_sigterm_stops_gracefully(callee: int, tmp_path: Path) -> None:
    config, store, mis = write_site(tmp_path, callee)
    dozvon = str(Path(sys.executable).with_name("dozvon"))
    daemon = subprocess.Popen(
        [dozvon, "run", "--config", str(config), "--grace", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(attempts(store)) < LINES:
            assert daemon.poll() is None, (
                daemon.stderr.read().decode()[-3000:] if daemon.stderr else ""
            )
            assert time.monotonic() < deadline, "no call started within a minute"
            time.sleep(0.2)
        time.sleep(2)  # both lines are in a call
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=60)
    finally:
        if daemon.poll() is None:
            stop_process(daemon)  # type: ignore[arg-type]
    assert daemon.returncode == 0, err.decode()[-3000:]
    closed = attempts(store)
    assert len(closed) == LINES  # nothing new after the signal
    assert {outcome for _, outcome in closed} == {"network_error"}  # cut when the grace ended
    with sqlite3.connect(mis) as db:
        results = dict(db.execute("SELECT id, result FROM visits"))
    assert sorted(v for v in results.values() if v) == ["network_error"] * LINES  # written back
    log = err.decode()
    assert "call started" in log and "phone=+*********01" in log
    assert "+79160000001" not in log  # numbers are masked in the logs
