"""A sync of a generated worklist into a store, run as a process the crash test kills.

`python -m tests.integration.campaign.sync_worker STORE_URL VISITS VERSION`: version 1 is
version 0 with every tenth visit moved an hour later. Prints "syncing" once the store is
about to be touched, "done" after the commit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
from datetime import UTC, datetime, timedelta

from dozvon.campaign.sync import day_window, sync_campaign
from dozvon.core.appointment import Appointment
from dozvon.store import Store
from tests.unit.campaign.conftest import ListSource, visit

NOW = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
FIRST = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)  # 08:00 Moscow
WINDOW = day_window(FIRST.date(), 1, "Europe/Moscow")


def worklist(count: int, version: int) -> list[Appointment]:
    visits = [
        visit(f"v{i}", f"+7916{i // 2:07d}", FIRST + timedelta(minutes=i % 600))
        for i in range(count)
    ]
    if version:
        visits = [
            dataclasses.replace(v, start=v.start + timedelta(hours=1)) if i % 10 == 0 else v
            for i, v in enumerate(visits)
        ]
    return visits


async def main(url: str, count: int, version: int) -> None:
    store = Store(url)
    source = ListSource(list(worklist(count, version)))
    print("syncing", flush=True)
    await sync_campaign(store, source, "confirm", WINDOW, NOW)
    print("done", flush=True)
    store.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
