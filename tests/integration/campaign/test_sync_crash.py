"""kill -9 in the middle of a sync: the store keeps the previous sync or the new one whole,
never a part, and the next sync finishes the job."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from dozvon.store import Store, upgrade
from dozvon.store.models import AppointmentRow, TaskRow

from .sync_worker import worklist

ROOT = Path(__file__).resolve().parents[3]
VISITS = 8000
KILLS = 6


def sync(url: str, version: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.campaign.sync_worker",
            url,
            str(VISITS),
            str(version),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def stored(store: Store) -> tuple[dict[str, object], set[str | None], set[str]]:
    """Each visit's start, the task keys the booked visits point at, the task keys stored."""
    with store.unit_of_work() as uow:
        rows = uow.session.execute(
            select(AppointmentRow.external_id, AppointmentRow.start_at, AppointmentRow.task_key)
        ).all()
        task_keys = set(uow.session.scalars(select(TaskRow.key)))
    return {r.external_id: r.start_at for r in rows}, {r.task_key for r in rows}, task_keys


@pytest.mark.slow
def test_sigkill_mid_sync_leaves_one_whole_sync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dozvon.sqlite'}"
    store = Store(url)
    upgrade(store.engine)
    first = sync(url, 0)
    assert first.wait(timeout=120) == 0, first.stderr.read().decode() if first.stderr else ""
    versions = [{v.external_id: v.start for v in worklist(VISITS, version)} for version in (0, 1)]
    rng = random.Random(20261126)
    current = 0
    for _ in range(KILLS):
        worker = sync(url, 1 - current)  # always the other version: a tenth of visits move
        assert worker.stdout is not None
        assert worker.stdout.readline() == b"syncing\n"
        time.sleep(rng.uniform(0.0, 1.0))  # a sync takes about 0.7 s here
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        starts, pointed_at, task_keys = stored(store)
        assert starts in versions  # all of the old sync or all of the new one
        assert pointed_at <= task_keys  # no visit tied to a task that was not written
        current = versions.index(starts)
    final = sync(url, 1 - current)
    assert final.wait(timeout=120) == 0
    starts, pointed_at, task_keys = stored(store)
    assert starts == versions[1 - current] and pointed_at <= task_keys
    store.dispose()
