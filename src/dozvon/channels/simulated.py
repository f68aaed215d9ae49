"""A channel with no telephony, for tests of campaign logic (dispatching, retries, write-back).

Where the point of a test is the call itself, the tests use real SIP peers instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from dozvon.campaign.clock import Clock
from dozvon.channels.base import AttemptResult
from dozvon.core.outcome import Channel, Evidence, HangupBy, Outcome
from dozvon.core.task import Task


@dataclass(frozen=True, slots=True)
class SimulatedCall:
    outcome: Outcome
    ring_seconds: float = 0.0
    talk_seconds: float = 0.0


Behaviour = Callable[[str, int], SimulatedCall]
"""(phone, attempt number) -> what happens on that call."""


def by_phone(
    calls: Mapping[str, SimulatedCall | list[SimulatedCall]], default: SimulatedCall
) -> Behaviour:
    """A behaviour table: one call per phone, or a list played attempt after attempt."""

    def behaviour(phone: str, attempt_no: int) -> SimulatedCall:
        entry = calls.get(phone, default)
        if isinstance(entry, list):
            return entry[min(attempt_no, len(entry)) - 1]
        return entry

    return behaviour


class SimulatedChannel:
    kind = Channel.VOICE

    def __init__(
        self,
        behaviour: Behaviour,
        clock: Clock,
        on_dial: Callable[[Task, str, int], None] | None = None,
    ) -> None:
        self._behaviour = behaviour
        self._clock = clock
        self._on_dial = on_dial
        self.dialled: list[tuple[str, str, int]] = []

    async def attempt(
        self, task: Task, scenario: Any, *, phone: str, attempt_no: int
    ) -> AttemptResult:
        self.dialled.append((task.key, phone, attempt_no))
        if self._on_dial is not None:
            self._on_dial(task, phone, attempt_no)
        call = self._behaviour(phone, attempt_no)
        await self._clock.sleep(call.ring_seconds + call.talk_seconds)
        answered = call.talk_seconds > 0
        return AttemptResult(
            call.outcome,
            Evidence(
                ring_seconds=call.ring_seconds,
                talk_seconds=call.talk_seconds,
                hangup_by=HangupBy.US if answered else None,
                notes={"channel": "simulated"},
            ),
        )
