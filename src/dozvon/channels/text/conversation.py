"""`TextConversation`: the dialog engine's Conversation over written messages.

`say` only collects text; `ask` sends what was collected with the question and its answers, then
waits for the written reply. Replies take minutes, not seconds, so the channel's reply timeout
replaces the scenario's per-key timeout, and a question nobody answered is not sent again.
A one-way channel (e-mail) reports itself as an answering machine: scenarios then take their
`on_answering_machine` branch, whose message the loader keeps free of medical details.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from dozvon.core.outcome import Channel, Outcome
from dozvon.dialog.conversation import (
    Answer,
    AnswerStatus,
    CallerHungUp,
    DigitEntry,
    Expect,
    KeyPress,
    Prompt,
    Recording,
    judge,
)

KEY_ORDER = "1234567890*#"
"""Answers are offered in the order of a phone keypad: 0 after 9."""
STOP_WORDS = frozenset({"стоп", "stop", "отписаться", "unsubscribe"})
"""A reply that ends all reminders on this channel, as SMS senders conventionally honour."""


@dataclass(frozen=True, slots=True)
class Message:
    paragraphs: tuple[str, ...]
    keys: tuple[str, ...] = ()
    """The answers offered, in reading order: buttons in Telegram, the digits an SMS names."""
    number_reply: bool = False
    """A number is expected (a code, a score) rather than one of `keys`."""

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


class DeliveryFailed(Exception):
    """A message the provider did not take; `outcome` is what the attempt amounts to."""

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


class Outbound(Protocol):
    async def send(self, address: str, message: Message) -> str:
        """The provider's message id; raises `DeliveryFailed` for every failure it can name."""
        ...


def offered_keys(expect: Expect) -> tuple[str, ...]:
    if isinstance(expect, DigitEntry):
        return ()
    return tuple(sorted(expect.keys, key=KEY_ORDER.index))


def normalise_reply(text: str) -> str:
    """«1.», « 1 » and «1!» all mean 1: people type the way they type."""
    return text.strip().rstrip(".!").strip()


class TextConversation:
    def __init__(
        self,
        channel: Channel,
        outbound: Outbound,
        address: str,
        replies: asyncio.Queue[str] | None,
        reply_timeout: float,
    ) -> None:
        """`replies` None makes the conversation one-way (e-mail): nothing is ever answered."""
        self._channel = channel
        self._outbound = outbound
        self._address = address
        self._replies = replies
        self._reply_timeout = reply_timeout
        self._started = time.monotonic()
        self._pending: list[str] = []
        self._unanswered = False
        self.message_ids: list[str] = []
        self.replies_received = 0
        self.questions_sent = 0
        self.opted_out = False
        self.closing_failed = ""

    @property
    def channel(self) -> Channel:
        return self._channel

    @property
    def one_way(self) -> bool:
        return self._replies is None

    @property
    def answering_machine_detected(self) -> bool:
        return self.one_way

    def elapsed(self) -> float:
        return time.monotonic() - self._started

    async def _send(
        self, last: str | None, keys: tuple[str, ...] = (), number: bool = False
    ) -> None:
        paragraphs = (*self._pending, last) if last else tuple(self._pending)
        self._pending.clear()
        if paragraphs:
            message = Message(paragraphs, keys, number)
            self.message_ids.append(await self._outbound.send(self._address, message))

    async def say(self, prompt: Prompt) -> None:
        self._pending.append(prompt.text)

    async def ask(self, prompt: Prompt, expect: Expect, timeout: float) -> Answer:
        if self._unanswered:
            # The last question went unanswered: sending it again (with the scenario's «ответ
            # не получен») would only be spam.
            self._pending.clear()
            return Answer(AnswerStatus.TIMEOUT)
        if self._replies is None:
            # One-way: what was said before the question goes out; the question cannot be
            # answered, so it is left out rather than asking for a key nobody can press.
            await self._send(None)
            self._unanswered = True
            return Answer(AnswerStatus.TIMEOUT)
        while not self._replies.empty():  # a reply from before this question answers nothing
            self._replies.get_nowait()
        await self._send(prompt.text, offered_keys(expect), isinstance(expect, DigitEntry))
        self.questions_sent += 1
        try:
            reply = await asyncio.wait_for(self._replies.get(), self._reply_timeout)
        except TimeoutError:
            self._unanswered = True
            return Answer(AnswerStatus.TIMEOUT)
        self.replies_received += 1
        typed = normalise_reply(reply)
        if typed.lower() in STOP_WORDS:
            self.opted_out = True
            raise CallerHungUp()
        at = self.elapsed()
        return judge(expect, tuple(KeyPress(key, at) for key in typed) or (KeyPress("", at),))

    async def transfer(self, target: str) -> bool:
        """Nobody to hand a chat to: the scenario's on_error branch says we will call back."""
        return False

    async def record(self, max_seconds: float) -> Recording | None:
        return None

    async def leave_message(self, prompt: Prompt) -> bool:
        """A written message always gets through once the provider takes it: no beep to wait for."""
        await self._send(prompt.text)
        return True

    async def hangup(self) -> None:
        """Send the closing words («Спасибо! Ждём вас.»), unless the last question went
        unanswered: then the closing is about silence and not worth a message."""
        if self._unanswered:
            self._pending.clear()
            return
        try:
            await self._send(None)
        except DeliveryFailed as exc:
            # The answer is already in; a lost «Спасибо» must not lose it.
            self.closing_failed = exc.reason
