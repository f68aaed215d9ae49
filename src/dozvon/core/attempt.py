"""One try to reach a task's person on one channel."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dozvon.core.outcome import Channel, Evidence, Outcome


@dataclass(frozen=True, slots=True)
class Attempt:
    task_id: str
    number: int
    """1 for the first attempt of the task, counting every channel."""
    channel: Channel
    started_at: datetime
    phone: str = ""
    finished_at: datetime | None = None
    outcome: Outcome | None = None
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def is_open(self) -> bool:
        """Started but never finished: after a crash these are closed by the recovery step."""
        return self.outcome is None
