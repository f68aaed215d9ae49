"""The one interface every voice implements: text in, telephone PCM out."""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable


class SynthesisError(RuntimeError):
    """An engine failed to produce audio; the message names the engine and the cause."""


@runtime_checkable
class Synthesizer(Protocol):
    """Returns 8 kHz, 16-bit signed little-endian mono PCM (``tts.audio.SAMPLE_RATE``).

    ``synthesize`` blocks; the voice channel runs in asyncio and awaits ``synthesize_async``,
    which must not block the loop (engines here run a subprocess or C library in a worker
    thread). ``engine`` and ``voice`` name the sound for the audio cache key. Text arrives after
    the lexicon: it may carry ``+`` stress marks, which an engine converts or strips."""

    engine: str
    voice: str

    def synthesize(self, text: str) -> bytes: ...

    async def synthesize_async(self, text: str) -> bytes: ...


class ThreadedSynthesizer:
    """Base for engines whose natural call blocks: the async path runs it in a worker thread,
    where a subprocess wait or a C call leaves the event loop free."""

    engine = "base"
    voice = ""

    def synthesize(self, text: str) -> bytes:
        raise NotImplementedError

    async def synthesize_async(self, text: str) -> bytes:
        return await asyncio.to_thread(self.synthesize, text)
