"""The seam between a scenario and a line: what the robot can do and what the line knows.

A phone call, the terminal simulator, a test script and (later) a text messenger all implement
`Conversation`, so one scenario runs unchanged on each. Methods are async because on a real line
each one waits for audio or for the other side.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable

from dozvon.core.outcome import Channel

END_KEY = "#"


class CallerHungUp(Exception):
    """Raised by any `Conversation` method when the other side has left."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """Something the robot says: rendered text, or a recorded file with its transcript."""

    text: str
    audio: Path | None = None


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """One key out of a set, e.g. 1 yes / 2 no."""

    keys: frozenset[str]

    def is_complete(self, typed: str) -> bool:
        return len(typed) >= 1

    def accepts(self, typed: str) -> bool:
        return typed in self.keys


@dataclass(frozen=True, slots=True)
class DigitEntry:
    """Several digits ended by `#` (or by reaching `max_length`), e.g. a code or a 0–10 score."""

    min_length: int = 1
    max_length: int = 10
    min_value: int | None = None
    max_value: int | None = None

    def is_complete(self, typed: str) -> bool:
        return typed.endswith(END_KEY) or len(typed) >= self.max_length

    def accepts(self, typed: str) -> bool:
        digits = typed.removesuffix(END_KEY)
        if not digits.isdigit() or not self.min_length <= len(digits) <= self.max_length:
            return False
        value = int(digits)
        if self.min_value is not None and value < self.min_value:
            return False
        return self.max_value is None or value <= self.max_value


Expect = KeyChoice | DigitEntry


class AnswerStatus(StrEnum):
    OK = "ok"
    TIMEOUT = "timeout"
    INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class KeyPress:
    key: str
    at: float
    """Seconds since the line was answered."""
    during_prompt: bool = False
    """Pressed before the prompt finished (barge-in): the prompt was cut short."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: AnswerStatus
    keys: tuple[KeyPress, ...] = ()

    @property
    def value(self) -> str:
        """The digits typed, without the closing `#`."""
        return "".join(press.key for press in self.keys).removesuffix(END_KEY)

    @property
    def barge_in(self) -> bool:
        return any(press.during_prompt for press in self.keys)


def judge(expect: Expect, keys: tuple[KeyPress, ...]) -> Answer:
    """The answer a set of collected keys amounts to; shared by every implementation."""
    if not keys:
        return Answer(AnswerStatus.TIMEOUT)
    typed = "".join(press.key for press in keys)
    return Answer(AnswerStatus.OK if expect.accepts(typed) else AnswerStatus.INVALID, keys)


@dataclass(frozen=True, slots=True)
class Recording:
    reference: str
    """Where the audio is kept (a file path or a store key); channels decide."""
    seconds: float
    transcript: str = ""


@runtime_checkable
class Conversation(Protocol):
    @property
    def channel(self) -> Channel: ...

    @property
    def answering_machine_detected(self) -> bool:
        """May turn true a few seconds into the call, when detection has heard enough."""
        ...

    def elapsed(self) -> float:
        """Seconds since the line was answered: the time base of every event in the evidence."""
        ...

    async def say(self, prompt: Prompt) -> None: ...

    async def ask(self, prompt: Prompt, expect: Expect, timeout: float) -> Answer:
        """Say the prompt and collect keys; keys pressed during the prompt count (barge-in).

        `timeout` runs from the end of the prompt to the first key, and between keys.
        """
        ...

    async def transfer(self, target: str) -> bool:
        """Hand the person to `target` (an operator queue, a number); False if it failed."""
        ...

    async def record(self, max_seconds: float) -> Recording | None:
        """Record what the person says, after a beep; None if they said nothing."""
        ...

    async def leave_message(self, prompt: Prompt) -> bool:
        """Wait for the answering machine's beep, then say the prompt; False if no beep came."""
        ...

    async def hangup(self) -> None: ...
