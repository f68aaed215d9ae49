"""The seam between Dozvon and any clinic system: two small protocols and their value types."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dozvon.core.appointment import Appointment
from dozvon.core.outcome import Evidence, Outcome


@dataclass(frozen=True, slots=True)
class Window:
    """The span of appointment start times a sync asks for; both ends timezone-aware."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad record: named precisely enough that the clinic can find and fix it."""

    source: str
    row: int | str | None
    field: str | None
    message: str
    raw: Mapping[str, object] = dataclasses.field(default_factory=dict)
    cut_short: bool = False
    """The source stopped here (a truncated file, a parse it could not go past): what it did
    not list was not read, so a sync must not take it as gone from the MIS."""

    def __str__(self) -> str:
        where = f"{self.source}, row {self.row}" if self.row is not None else self.source
        if self.field:
            where += f", field {self.field!r}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """What a sink writes for one appointment; (appointment_id, attempt) is the idempotency key."""

    appointment_id: str
    attempt: int
    outcome: Outcome
    evidence: Evidence
    attempts_total: int
    finished_at: datetime
    channel: str = "voice"


class MisError(Exception):
    """The clinic system could not be reached or refused a request; secrets already masked.

    `record_only` says the system is up but refused this one record (an HTTP 4xx, a constraint,
    a value it does not accept): the write-back then retries that record alone, instead of
    holding every other outcome back as it does while the system is down.
    """

    def __init__(self, message: str, *, record_only: bool = False) -> None:
        super().__init__(message)
        self.record_only = record_only


class Source(Protocol):
    name: str

    def fetch(self, window: Window) -> AsyncIterator[Appointment | RowError]: ...


class Sink(Protocol):
    name: str

    async def write(self, record: OutcomeRecord) -> None:
        """Idempotent: writing the same (appointment_id, attempt) twice changes nothing."""
        ...
