"""Reading a worklist whole from the MIS, with progress for the long ones.

Kept apart from `sync` (which stores it) so that a read-only caller, `dozvon sync --dry-run`
or reconcile, does not import the store.
"""

from __future__ import annotations

from typing import Protocol

from dozvon.core.appointment import Appointment
from dozvon.mis.base import RowError, Source, Window

PROGRESS_EVERY = 10_000
"""Rows between two progress reports: a day of a small clinic reports nothing."""


class SyncProgress(Protocol):
    """Told how a long sync is going, so the admin sees it is alive (`dozvon sync`)."""

    def rows_read(self, rows: int) -> None: ...

    def storing(self, appointments: int) -> None: ...


async def collect(
    source: Source,
    window: Window,
    progress: SyncProgress | None = None,
    every: int = PROGRESS_EVERY,
) -> tuple[list[Appointment], list[RowError]]:
    """Read the whole worklist first: the store is touched only once the MIS answered in full,
    so a connection lost mid-read can never cancel the visits it did not get to."""
    appointments: list[Appointment] = []
    errors: list[RowError] = []
    async for item in source.fetch(window):
        if isinstance(item, RowError):
            errors.append(item)
        else:
            appointments.append(item)
        if progress is not None and (len(appointments) + len(errors)) % every == 0:
            progress.rows_read(len(appointments) + len(errors))
    return appointments, errors
