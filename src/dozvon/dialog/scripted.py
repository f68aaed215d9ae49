"""A conversation played from a key string, on a virtual clock: for tests and `dozvon simulate`.

Script: each character is a key; ``_`` is silence until the timeout; ``h`` hangs up; ``>`` before
a key presses it during the prompt (barge-in). When the script runs out, the person is silent.
Time is simulated (speech at `SPEECH_RATE` characters a second), so evidence is reproducible.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from dozvon.core.outcome import Channel
from dozvon.dialog.conversation import (
    Answer,
    CallerHungUp,
    Expect,
    KeyPress,
    Prompt,
    Recording,
    judge,
)

SPEECH_RATE = 14.0
"""Characters per second of Russian synthesized speech, roughly."""
KEY_GAP = 0.8
"""Seconds between the end of a prompt (or a key) and the next key."""
SILENCE = "_"
HANG_UP = "h"
BARGE_IN = ">"
SCRIPT_ALPHABET = "0123456789*#" + SILENCE + HANG_UP + BARGE_IN


@dataclass(frozen=True, slots=True)
class Said:
    at: float
    text: str
    kind: str = "say"


@dataclass
class ScriptedConversation:
    script: str = ""
    answering_machine: bool = False
    channel: Channel = Channel.VOICE
    transfer_succeeds: bool = True
    beep: bool = True
    """Whether the answering machine gives its beep (leave_message waits for it)."""
    transcript: list[Said] = field(default_factory=list)
    clock: float = 0.0
    hung_up: bool = False
    _pending: deque[str] = field(default_factory=deque)
    _recordings: int = 0

    def __post_init__(self) -> None:
        wrong = sorted(set(self.script) - set(SCRIPT_ALPHABET))
        if wrong:
            raise ValueError(
                f"непонятные символы в клавишах: {''.join(wrong)}; "
                f"можно цифры, * и #, «{SILENCE}» — тишина, «{HANG_UP}» — положить трубку"
            )
        self._pending.extend(self.script)

    @property
    def answering_machine_detected(self) -> bool:
        return self.answering_machine

    def elapsed(self) -> float:
        return self.clock

    def next_input(self) -> str | None:
        """The next script character; None means silence from here on. Terminal overrides it."""
        return self._pending.popleft() if self._pending else None

    def show(self, said: Said) -> None:
        """Hook for the terminal: print what the robot says."""

    async def say(self, prompt: Prompt) -> None:
        self._check_line()
        self._speak(prompt.text)

    async def ask(self, prompt: Prompt, expect: Expect, timeout: float) -> Answer:
        self._check_line()
        started = self.clock
        duration = len(prompt.text) / SPEECH_RATE
        self._record(Said(started, prompt.text, "ask"))
        barge = self._peek() == BARGE_IN
        if barge:
            self.next_input()
            self.clock = started + duration / 2
        else:
            self.clock = started + duration
        keys: list[KeyPress] = []
        while not expect.is_complete("".join(press.key for press in keys)):
            char = self.next_input()
            if char == HANG_UP:
                self._hang_up()
            if char is None or char == SILENCE:
                self.clock += timeout
                self._record(Said(self.clock, "", "silence"))
                break
            if char == BARGE_IN:
                continue
            self.clock += 0 if barge and not keys else KEY_GAP
            keys.append(KeyPress(char, round(self.clock, 1), during_prompt=barge and not keys))
            self._record(Said(self.clock, char, "key"))
        return judge(expect, tuple(keys))

    async def transfer(self, target: str) -> bool:
        self._check_line()
        self._record(Said(self.clock, target, "transfer"))
        return self.transfer_succeeds

    async def record(self, max_seconds: float) -> Recording | None:
        self._check_line()
        if self._peek() == SILENCE:
            self.next_input()
            self.clock += min(max_seconds, 5.0)
            return None
        self._recordings += 1
        seconds = min(max_seconds, 4.0)
        self.clock += seconds
        recording = Recording(f"recording-{self._recordings}.wav", seconds)
        self._record(Said(self.clock, recording.reference, "record"))
        return recording

    async def leave_message(self, prompt: Prompt) -> bool:
        self._check_line()
        if not self.beep:
            self.clock += 5.0
            self._record(Said(self.clock, "", "no_beep"))
            return False
        self.clock += 2.0
        self._speak(prompt.text, "message")
        return True

    async def hangup(self) -> None:
        self.hung_up = True

    def _peek(self) -> str | None:
        return self._pending[0] if self._pending else None

    def _speak(self, text: str, kind: str = "say") -> None:
        self._record(Said(self.clock, text, kind))
        self.clock += len(text) / SPEECH_RATE
        if self._peek() == HANG_UP:
            self._hang_up()

    def _record(self, said: Said) -> None:
        said = Said(round(said.at, 1), said.text, said.kind)
        self.transcript.append(said)
        self.show(said)

    def _check_line(self) -> None:
        if self.hung_up:
            raise CallerHungUp

    def _hang_up(self) -> None:
        self.hung_up = True
        self._record(Said(self.clock, "", "hangup"))
        raise CallerHungUp
