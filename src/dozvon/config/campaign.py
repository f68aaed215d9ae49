"""`campaigns:` what each campaign says, to whom, when, how often, and by which channels."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

from pydantic import BaseModel, Field, field_validator, model_validator

from dozvon.config.types import STRICT, ClockTime, Duration, Weekday
from dozvon.core.outcome import Channel, Outcome
from dozvon.core.rules import CallingHours, OutcomeRetry, Purpose, RetryPolicy
from dozvon.core.rules.retry import default_per_outcome

_CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")


class HoursSettings(BaseModel):
    model_config = STRICT

    start: ClockTime = time(9, 0)
    end: ClockTime = time(20, 0)
    weekdays: list[Weekday] = Field(default_factory=lambda: list(range(7)), min_length=1)
    holidays: list[date] = []

    @model_validator(mode="after")
    def _ordered(self) -> HoursSettings:
        if not self.start < self.end:
            raise ValueError("start должен быть раньше end / start must be before end")
        return self

    def to_rule(self) -> CallingHours:
        return CallingHours(
            self.start, self.end, frozenset(self.weekdays), frozenset(self.holidays)
        )


class OutcomeRetrySettings(BaseModel):
    model_config = STRICT

    delay: Duration = timedelta(hours=1)
    max_attempts: int = Field(default=2, ge=0, le=50)
    """0 switches retries off for this outcome."""


class RetrySettings(BaseModel):
    model_config = STRICT

    max_attempts: int = Field(default=5, ge=1, le=50)
    max_per_day: int = Field(default=3, ge=1, le=50)
    per_outcome: dict[Outcome, OutcomeRetrySettings] = {}
    """Overrides merged over the built-in defaults (busy: 10m ×4, no_answer: 1h ×3, ...)."""

    @field_validator("per_outcome")
    @classmethod
    def _not_final(
        cls, value: dict[Outcome, OutcomeRetrySettings]
    ) -> dict[Outcome, OutcomeRetrySettings]:
        final = sorted(outcome.value for outcome in value if outcome.is_final)
        if final:
            raise ValueError(
                f"исход {', '.join(final)} окончательный, повтора не бывает"
                f" / final outcomes are never retried: {', '.join(final)}"
            )
        return value

    def to_rule(self) -> RetryPolicy:
        per_outcome = default_per_outcome()
        for outcome, rule in self.per_outcome.items():
            per_outcome[outcome] = OutcomeRetry(rule.delay, rule.max_attempts)
        return RetryPolicy(self.max_attempts, self.max_per_day, per_outcome)


class CampaignSettings(BaseModel):
    model_config = STRICT

    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    scenario: str = Field(min_length=1)
    """A built-in scenario name (confirm, notify, ...) or a path to a scenario file."""
    purpose: Purpose = Purpose.SERVICE
    hours: HoursSettings = HoursSettings()
    retry: RetrySettings = RetrySettings()
    channels: list[Channel] = Field(default_factory=lambda: [Channel.VOICE], min_length=1)
    """Tried in this order: the next channel when the previous one is exhausted."""
    priority: int = Field(default=0, ge=-100, le=100)
    schedule: list[str] = []
    """Cron strings (minute hour day month weekday) for when the campaign syncs and starts."""

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: list[str]) -> list[str]:
        for entry in value:
            fields = entry.split()
            if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
                raise ValueError(
                    f"ожидалась строка cron из 5 полей / expected a 5-field cron string: {entry!r}"
                )
        return value

    @model_validator(mode="after")
    def _lawful_channels(self) -> CampaignSettings:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("каналы повторяются / channels repeat")
        if self.purpose is Purpose.MARKETING and Channel.VOICE in self.channels:
            raise ValueError(
                "реклама голосовым роботом запрещена (38-ФЗ ст. 18): уберите voice из channels"
                " / marketing by robot voice is forbidden: remove voice from channels"
            )
        return self
