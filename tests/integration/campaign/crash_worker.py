"""A campaign process for the crash test: run until all work is done, or until SIGKILL.

Before each "call" it appends the attempt to a dial log and fsyncs it, so the test knows every
call that went out even when the process dies right after.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
from datetime import time, timedelta
from pathlib import Path

from dozvon.campaign.clock import SystemClock
from dozvon.campaign.dispatcher import DispatchSettings
from dozvon.campaign.service import CampaignRunner
from dozvon.campaign.spec import CampaignSpec
from dozvon.campaign.writeback import Backoff
from dozvon.channels.simulated import SimulatedCall, SimulatedChannel
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours, OutcomeRetry, RetryPolicy
from dozvon.core.task import Task
from dozvon.mis.config import load, open_connector
from dozvon.store import Store, upgrade

FAST_RETRY = RetryPolicy(
    max_attempts=4,
    max_per_day=4,
    per_outcome={
        Outcome.BUSY: OutcomeRetry(timedelta(seconds=0.5), 3),
        Outcome.NO_ANSWER: OutcomeRetry(timedelta(seconds=0.5), 2),
        Outcome.NETWORK_ERROR: OutcomeRetry(timedelta(seconds=0.5), 3),
    },
)
OUTCOMES = [Outcome.CONFIRMED, Outcome.BUSY, Outcome.NO_ANSWER, Outcome.DECLINED]


def behaviour(phone: str, attempt_no: int) -> SimulatedCall:
    outcome = OUTCOMES[int(phone[-1]) % len(OUTCOMES)] if attempt_no < 3 else Outcome.CONFIRMED
    return SimulatedCall(outcome, 0.05, random.uniform(0.05, 0.3))


async def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    store = Store(config["store"])
    upgrade(store.engine)
    connector = open_connector(load(config["mis"]))
    log = open(config["dial_log"], "a", encoding="utf-8")  # noqa: SIM115

    def on_dial(task: Task, phone: str, attempt_no: int) -> None:
        log.write(f"{task.key} {attempt_no}\n")
        log.flush()
        os.fsync(log.fileno())

    clock = SystemClock()
    spec = CampaignSpec("confirm", hours=CallingHours(time(0, 0), time(23, 59)), retry=FAST_RETRY)
    runner = CampaignRunner(
        store,
        connector,
        connector,
        {"confirm": spec},
        {Channel.VOICE: SimulatedChannel(behaviour, clock, on_dial)},
        clock=clock,
        dispatch=DispatchSettings(lines=4, calls_per_second=40),
        backoff=Backoff(first=0.1, ceiling=0.5),
    )
    while True:
        await runner.run_once(flush_seconds=10)
        if runner.state.next_due_at(["confirm"]) is None and runner.summary.not_written == 0:
            break
        await asyncio.sleep(0.3)
    await connector.aclose()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
