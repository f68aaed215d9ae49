"""`SipConversation`: the dialog engine's Conversation over one answered SIP call.

say → TTS → call.play; ask → play with barge-in, then collect keys; leave_message waits for the
machine's beep; transfer is a REFER. Answering-machine detection and beep detection listen on
the call's audio tap.
"""

from __future__ import annotations

import asyncio
import time

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
from dozvon.media.amd import AmdVerdict, AnsweringMachineDetector
from dozvon.media.beep import BeepDetector
from dozvon.media.player import load_wav
from dozvon.sip.call import Call
from dozvon.speech.voice import Voice

BEEP_WAIT_SECONDS = 20.0


class SipConversation:
    def __init__(self, call: Call, voice: Voice, detect_machine: bool = True) -> None:
        self.call = call
        self.voice = voice
        self._answered_at = time.monotonic()
        """Reset by `answered()`; the conversation may be built while the phone still rings."""
        self._keys: asyncio.Queue[KeyPress] = asyncio.Queue()
        self._interruptible = False
        self._detect_machine = detect_machine
        self._amd: AnsweringMachineDetector | None = None
        """Made with the first answered frame: an unanswered call never loads a speech model."""
        self._beep = BeepDetector()
        self._beep_heard = asyncio.Event()
        self._listen_for_beep = False
        call.media.on_digit(self._on_digit)
        # Some phones and gateways send keys only as tones, whatever the SDP says.
        call.enable_inband_dtmf()
        call.add_audio_tap(self._on_audio)

    @property
    def channel(self) -> Channel:
        return Channel.VOICE

    @property
    def answering_machine_detected(self) -> bool:
        result = self._amd.result if self._amd is not None else None
        return result is not None and result.verdict is AmdVerdict.MACHINE

    def elapsed(self) -> float:
        return time.monotonic() - self._answered_at

    def _on_digit(self, digit: str) -> None:
        self._keys.put_nowait(KeyPress(digit, self.elapsed(), during_prompt=self._interruptible))

    def close(self) -> None:
        """Give the speech model back to the pool even when the call ended before a verdict."""
        if self._amd is not None:
            self._amd.finish()

    def answered(self) -> None:
        self._answered_at = time.monotonic()

    def _on_audio(self, frame: bytes) -> None:
        if not self.call.answered.is_set():
            return  # ring-back and early media are not the greeting
        if self._detect_machine and self._amd is None:
            self._amd = AnsweringMachineDetector(call_id=self.call.call_id)
        if self._amd is not None and self._amd.result is None:
            self._amd.push(frame)
        if self._listen_for_beep and self._beep.push(frame) is not None:
            self._beep_heard.set()

    def _check(self) -> None:
        if not self.call.is_active:
            raise CallerHungUp()

    async def _audio(self, prompt: Prompt) -> bytes:
        if prompt.audio is not None:
            return load_wav(prompt.audio)
        return await self.voice.say_async(prompt.text)

    async def _play(self, prompt: Prompt, interruptible: bool = False) -> None:
        """A key cuts a question short; statements (the visit's time and place) play whole."""
        self._check()
        pcm = await self._audio(prompt)
        self._interruptible = interruptible
        try:
            await self.call.play(pcm, barge_in=interruptible)
        finally:
            self._interruptible = False
        self._check()

    async def say(self, prompt: Prompt) -> None:
        await self._play(prompt)

    async def ask(self, prompt: Prompt, expect: Expect, timeout: float) -> Answer:
        while not self._keys.empty():  # keys from before this question answer nothing
            self._keys.get_nowait()
        await self._play(prompt, interruptible=True)
        keys: list[KeyPress] = []
        typed = ""
        while not expect.is_complete(typed):
            ended = asyncio.ensure_future(self.call.ended.wait())
            getter = asyncio.ensure_future(self._keys.get())
            done, _ = await asyncio.wait(
                {getter, ended}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            ended.cancel()
            if getter not in done:
                getter.cancel()
                self._check()
                break
            keys.append(getter.result())
            typed += keys[-1].key
        return judge(expect, tuple(keys))

    async def transfer(self, target: str) -> bool:
        self._check()
        return await self.call.transfer(target)

    async def record(self, max_seconds: float) -> Recording | None:
        """Recording to a store is not wired into campaigns yet: the dialog goes on without it."""
        return None

    async def leave_message(self, prompt: Prompt) -> bool:
        self._listen_for_beep = True
        try:
            await asyncio.wait_for(self._beep_heard.wait(), BEEP_WAIT_SECONDS)
        except TimeoutError:
            return False
        finally:
            self._listen_for_beep = False
        await self._play(prompt)
        return True

    async def hangup(self) -> None:
        await self.call.hangup()
