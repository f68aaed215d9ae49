"""Which channel, and which of the person's numbers, the next attempt uses."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel, Outcome

DEAD_NUMBER = frozenset({Outcome.INVALID_NUMBER, Outcome.WRONG_PERSON})
"""Outcomes that say this number does not reach the person: the next number is tried instead."""


@dataclass(frozen=True, slots=True)
class PlanStep:
    channel: Channel
    attempts: int


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """E.g. voice ×3, then an SMS: steps are used in order, each for its number of attempts."""

    steps: tuple[PlanStep, ...] = (PlanStep(Channel.VOICE, 3),)

    def next_channel(
        self,
        attempts: Sequence[Attempt],
        available: Collection[Channel],
        given_up: Collection[Channel] = (),
    ) -> Channel | None:
        """The channel for the next attempt; None when the plan is used up.

        `given_up`: channels whose retries the retry policy has spent (busy four times, say);
        the plan moves on from them as from a used-up step. The plan stops at the first step
        whose channel Dozvon cannot use yet (no SMS gateway configured): skipping it would
        reorder what the clinic asked for.
        """
        used = {step.channel: 0 for step in self.steps}
        for attempt in attempts:
            used[attempt.channel] = used.get(attempt.channel, 0) + 1
        budget: dict[Channel, int] = {}
        for step in self.steps:
            budget[step.channel] = budget.get(step.channel, 0) + step.attempts
            if step.channel not in given_up and used[step.channel] < budget[step.channel]:
                return step.channel if step.channel in available else None
        return None


def next_phone(phones: Sequence[str], attempts: Sequence[Attempt]) -> str | None:
    """Numbers are tried in the MIS's order, round-robin, skipping numbers proven dead.

    None when every number is dead.
    """
    dead = {a.phone for a in attempts if a.outcome in DEAD_NUMBER}
    alive = [p for p in phones if p not in dead]
    if not alive:
        return None
    voice = [a for a in attempts if a.phone in phones]
    if not voice:
        return alive[0]
    last = max(voice, key=lambda a: a.number).phone
    order = list(phones)
    start = order.index(last) + 1
    for offset in range(len(order)):
        candidate = order[(start + offset) % len(order)]
        if candidate in alive:
            return candidate
    return None
