"""The seam between the campaign and a way of reaching people (voice; later SMS, e-mail)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from dozvon.core.outcome import Channel, Evidence, Outcome
from dozvon.core.task import Task


@dataclass(frozen=True, slots=True)
class AttemptResult:
    outcome: Outcome
    evidence: Evidence = field(default_factory=Evidence)


class ContactChannel(Protocol):
    kind: Channel

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        """One try to reach the task's person at `phone`.

        It must return an outcome for every failure it can name (busy, no answer, network
        error...) and raise only for bugs; cancellation (shutdown past the grace period) is
        allowed to propagate.
        """
        ...


@runtime_checkable
class Prechecked(Protocol):
    """A channel that can tell, before any attempt is recorded, that it will refuse a task."""

    def refusal(self, task: Task, scenario: Any) -> str | None:
        """The reason this task must not be contacted on this channel (consent, missing data),
        or None. The dispatcher then closes the task instead of recording an attempt."""
        ...
