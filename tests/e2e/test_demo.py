"""The README's demo, run as a user runs it: `dozvon demo --json` in a fresh folder.

Real SIP calls with RTP audio go from the robot to the virtual patients (our own stack on the
answering side), keys come back as RFC 4733 events and as in-band tones, and the outcomes must
land in the demo MIS through the ordinary SQL connector and outbox.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from dozvon.core.phone import normalize_phone
from dozvon.demo.behaviours import EXPECTED_OUTCOME, Behaviour
from dozvon.demo.patients import load_roles

PATIENTS = 12  # every behaviour at least once, two of them pressing keys in-band


def test_demo_writes_every_expected_outcome_into_the_demo_mis(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "dozvon", "demo", "--json", "--patients", str(PATIENTS),
         "--dir", str(folder)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads(done.stdout)
    assert summary["patients"] == PATIENTS + 2
    assert summary["mis"] == str(folder / "mis.sqlite")

    roles = load_roles(folder / "patients.json")
    with sqlite3.connect(folder / "mis.sqlite") as db:
        rows = db.execute(
            "SELECT v.id, p.phone, v.state, v.call_result, v.call_attempts "
            "FROM visits v JOIN patients p ON p.id = v.patient_id"
        ).fetchall()
    seen: set[Behaviour] = set()
    for visit_id, phone, state, result, attempts in rows:
        role = roles[normalize_phone(phone)]
        if state == "отменён":
            assert (result, attempts) == (None, 0), f"cancelled visit {visit_id} was called"
            continue
        assert result == EXPECTED_OUTCOME[role.behaviour].value, (visit_id, role)
        assert attempts >= 1
        seen.add(role.behaviour)
    assert seen == set(Behaviour), f"behaviours not exercised: {set(Behaviour) - seen}"
    assert sum(summary["outcomes"].values()) == summary["calls"]
    assert summary["written_back"] >= len(rows) - 1
