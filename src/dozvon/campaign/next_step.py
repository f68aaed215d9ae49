"""What happens to a task before and after each attempt: the campaign's decisions, without I/O.

The dispatcher and the crash recovery both close attempts; keeping the decision here means a
call interrupted by kill -9 is judged by exactly the same policy as one that ended normally.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from dozvon.campaign.plan import DEAD_NUMBER, next_phone
from dozvon.campaign.spec import CampaignSpec
from dozvon.core.attempt import Attempt
from dozvon.core.outcome import Channel
from dozvon.core.rules import check_contact
from dozvon.core.task import Task, TaskStatus


@dataclass(frozen=True, slots=True)
class Dial:
    channel: Channel
    phone: str
    number: int


@dataclass(frozen=True, slots=True)
class Postpone:
    until: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Close:
    status: TaskStatus
    reason: str


Decision = Dial | Postpone | Close


def before_attempt(
    spec: CampaignSpec,
    task: Task,
    attempts: Sequence[Attempt],
    now: datetime,
    *,
    available: Collection[Channel],
    do_not_call: Collection[str],
    previous_contacts: Iterable[datetime],
) -> Decision:
    """May the task be tried now, and how; or when to look at it again."""
    if all(a.start <= now for a in task.appointments):
        return Close(TaskStatus.EXHAUSTED, "the appointment has already begun")
    given_up = channels_given_up(spec, task, attempts, now)
    channel = spec.plan.next_channel(attempts, available, given_up)
    if channel is None:
        return Close(TaskStatus.EXHAUSTED, "channel plan used up")
    phone = next_phone(task.phones, attempts)
    if phone is None:
        return Close(TaskStatus.EXHAUSTED, "no working number left")
    contacts = sorted(previous_contacts)
    refusal = check_contact(
        patient=task.first_start.patient,
        phone=phone,
        channel=channel,
        purpose=spec.purpose,
        zone=task.timezone,
        now=now,
        hours=spec.hours,
        do_not_call=do_not_call,
        cap=spec.cap,
        previous_contacts=contacts,
    )
    if refusal is None:
        return Dial(channel, phone, len(attempts) + 1)
    if refusal.rule == "hours":
        return Postpone(spec.hours.next_open(now, task.timezone), refusal.reason)
    if refusal.rule == "cap":
        recent = [c for c in contacts if now - spec.cap.window < c <= now]
        frees_at = recent[-spec.cap.max_contacts] + spec.cap.window
        return Postpone(spec.hours.next_open(frees_at, task.timezone), refusal.reason)
    return Close(TaskStatus.CANCELLED, f"{refusal.rule}: {refusal.reason}")


def on_channel(attempts: Sequence[Attempt], channel: Channel) -> list[Attempt]:
    """The history the retry rules judge a channel by. A dead number's attempt is left out:
    it says nothing about the person, and the next number is tried instead."""
    return [a for a in attempts if a.channel is channel and a.outcome not in DEAD_NUMBER]


def channels_given_up(
    spec: CampaignSpec, task: Task, attempts: Sequence[Attempt], now: datetime
) -> set[Channel]:
    """Channels on which the retry policy would try no more: the retry rules (max_attempts,
    per-outcome limits, the daily cap) apply to each channel of the plan on its own."""
    tried = {a.channel for a in attempts if a.outcome is not None}
    return {
        channel
        for channel in tried
        if spec.retry.next_attempt_at(on_channel(attempts, channel), task.timezone, spec.hours, now)
        is None
    }


@dataclass(frozen=True, slots=True)
class AfterAttempt:
    status: TaskStatus
    next_at: datetime | None


def after_attempt(
    spec: CampaignSpec, task: Task, attempts: Sequence[Attempt], now: datetime
) -> AfterAttempt:
    """The task's state once its latest attempt has an outcome."""
    last = max(attempts, key=lambda a: a.number)
    assert last.outcome is not None, "after_attempt needs a finished attempt"
    if last.outcome in DEAD_NUMBER and next_phone(task.phones, attempts) is not None:
        return AfterAttempt(TaskStatus.PENDING, spec.hours.next_open(now, task.timezone))
    if last.outcome.is_final:
        return AfterAttempt(TaskStatus.DONE, None)
    next_at = spec.retry.next_attempt_at(
        on_channel(attempts, last.channel), task.timezone, spec.hours, now
    )
    if next_at is None:
        # This channel's retries are spent: the plan's next channel, if any, starts now.
        given_up = channels_given_up(spec, task, attempts, now)
        if spec.plan.next_channel(attempts, set(Channel), given_up) is not None:
            next_at = spec.hours.next_open(now, task.timezone)
    if next_at is None or next_at >= task.first_start.start:
        return AfterAttempt(TaskStatus.EXHAUSTED, None)
    return AfterAttempt(TaskStatus.PENDING, next_at)
