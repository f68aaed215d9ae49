"""kill -9 at random moments, many times over, then a clean run: nothing dialled twice,
nothing lost, nothing written twice, and the MIS ends up equal to the store."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from dozvon.store import OutboxState, Store
from dozvon.store.models import AttemptRow, OutboxRow, TaskRow

from .conftest import Clinic, worklist

ROOT = Path(__file__).resolve().parents[3]
KILLS = 12


def start(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.campaign.crash_worker", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.mariadb
@pytest.mark.slow
def test_sigkill_at_random_moments(clinic: Clinic, tmp_path: Path) -> None:
    clinic.fill(worklist(40))
    config = tmp_path / "worker.json"
    dial_log = tmp_path / "dials.log"
    store_url = f"sqlite:///{tmp_path / 'dozvon.sqlite'}"
    config.write_text(
        json.dumps({"store": store_url, "mis": clinic.mis_config(), "dial_log": str(dial_log)})
    )
    rng = random.Random(20261126)
    for _ in range(KILLS):
        worker = start(config)
        time.sleep(rng.uniform(1.0, 2.5))  # Python start-up takes most of the first second
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    final = start(config)
    out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err.decode()[-3000:]
    assert b"done" in out

    dials = dial_log.read_text().split("\n")[:-1]
    store = Store(store_url)
    with store.unit_of_work() as uow:
        attempts = {
            (task_key, row.number): (row.outcome, row.evidence)
            for row, task_key in uow.session.execute(
                select(AttemptRow, TaskRow.key).join(TaskRow, TaskRow.id == AttemptRow.task_id)
            )
        }
        outbox = [
            (r.appointment_id, r.attempt, r.payload["outcome"], r.state)
            for r in uow.session.scalars(select(OutboxRow))
        ]
    interrupted = sum("interrupted" in ev.get("notes", {}) for _, ev in attempts.values())
    store.dispose()

    repeated = [dial for dial, n in Counter(dials).items() if n > 1]
    assert repeated == []  # no attempt dialled twice
    for dial in dials:  # every call that went out was recorded as started first
        key, number = dial.rsplit(" ", 1)
        assert (key, int(number)) in attempts
    assert all(outcome is not None for outcome, _ in attempts.values())
    assert all(state is OutboxState.DELIVERED for *_, state in outbox)
    expected = {(visit, attempt): outcome for visit, attempt, outcome, _ in outbox}
    in_mis = {key: outcome for key, (outcome, _) in clinic.results_rows().items()}
    assert in_mis == expected  # nothing lost, nothing extra, same outcome
    assert len(dials) > KILLS and interrupted > 0  # the kills really hit calls in progress
