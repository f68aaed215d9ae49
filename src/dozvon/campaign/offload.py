"""One worker thread for the campaign's store calls.

The event loop also paces every call's RTP and answers SIP timers; a commit that waits on the
disk for half a second there makes the UA retransmit INVITEs it already has answers for (seen
in bench/campaign.py). SQLite takes one writer at a time anyway, so a single thread costs no
parallelism and keeps the store's calls in order.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class StoreThread:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dozvon-store")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True)
