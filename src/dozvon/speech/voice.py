"""What the rest of the product calls to turn a message into telephone audio: the lexicon and
the free-text patterns, then recorded prompts where the clinic has them, then the engine through
the disk cache, with the pieces joined without clicks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from dozvon.speech.lexicon import Lexicon, default_lexicon
from dozvon.speech.text import spoken_text
from dozvon.speech.tts.audio import join
from dozvon.speech.tts.base import Synthesizer
from dozvon.speech.tts.cache import AudioCache, cache_key
from dozvon.speech.tts.prompts import PromptLibrary, Recording

Progress = Callable[[int, int], None]
"""Called with (texts done, texts in all) as pre-synthesis advances."""

_SAYABLE = re.compile(r"\w")


@dataclass
class PresynthesisReport:
    texts: int = 0
    synthesized: int = 0
    """Pieces that had to be synthesized now."""
    cached: int = 0
    """Pieces already in the cache."""


class Voice:
    def __init__(
        self,
        engine: Synthesizer,
        lexicon: Lexicon | None = None,
        cache: AudioCache | None = None,
        prompts: PromptLibrary | None = None,
    ) -> None:
        self.engine = engine
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self.cache = cache
        self.prompts = prompts
        self.synthesized = 0
        """Pieces this voice had the engine synthesize (the rest came from recordings or cache)."""
        self.lookups = 0

    def spoken(self, text: str) -> str:
        """The text as it will be said (``dozvon say --text-only``)."""
        return spoken_text(text, self.lexicon)

    def say(self, text: str) -> bytes:
        return join([self._piece(piece) for piece in self._pieces(text)])

    async def say_async(self, text: str) -> bytes:
        return join([await self._piece_async(piece) for piece in self._pieces(text)])

    def say_parts(self, parts: Sequence[str]) -> bytes:
        """A message assembled from separately cached parts: the fixed text of a template and its
        variable values, so the fixed part is synthesized once for a whole campaign."""
        return join([self.say(part) for part in parts])

    async def say_parts_async(self, parts: Sequence[str]) -> bytes:
        return join([await self.say_async(part) for part in parts])

    def presynthesize(
        self, texts: Iterable[str], progress: Progress | None = None
    ) -> PresynthesisReport:
        """Fill the cache with tomorrow's messages (or their parts) before the calling window."""
        unique = list(dict.fromkeys(texts))
        before = (self.synthesized, self.lookups)
        for done, text in enumerate(unique, 1):
            self.say(text)
            if progress:
                progress(done, len(unique))
        return self._report(len(unique), before)

    async def presynthesize_async(
        self, texts: Iterable[str], progress: Progress | None = None, concurrency: int = 2
    ) -> PresynthesisReport:
        unique = list(dict.fromkeys(texts))
        before = (self.synthesized, self.lookups)
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def one(text: str) -> None:
            nonlocal done
            async with gate:
                await self.say_async(text)
            done += 1
            if progress:
                progress(done, len(unique))

        await asyncio.gather(*(one(text) for text in unique))
        return self._report(len(unique), before)

    def _report(self, texts: int, before: tuple[int, int]) -> PresynthesisReport:
        made = self.synthesized - before[0]
        return PresynthesisReport(texts, made, self.lookups - before[1] - made)

    def _pieces(self, text: str) -> list[Recording | str]:
        pieces = self.prompts.split(text) if self.prompts else [text]
        return [p for p in pieces if isinstance(p, Recording) or _SAYABLE.search(p)]

    def _key(self, spoken: str) -> str:
        return cache_key(self.engine.engine, self.engine.voice, self.lexicon.version, spoken)

    def _piece(self, piece: Recording | str) -> bytes:
        if isinstance(piece, Recording):
            assert self.prompts is not None
            return self.prompts.audio(piece)
        spoken = self.spoken(piece.strip())
        cached = self._cached(spoken)
        if cached is not None:
            return cached
        pcm = self.engine.synthesize(spoken)
        self._store(spoken, pcm)
        return pcm

    async def _piece_async(self, piece: Recording | str) -> bytes:
        if isinstance(piece, Recording):
            assert self.prompts is not None
            return self.prompts.audio(piece)
        spoken = self.spoken(piece.strip())
        cached = self._cached(spoken)
        if cached is not None:
            return cached
        pcm = await self.engine.synthesize_async(spoken)
        self._store(spoken, pcm)
        return pcm

    def _cached(self, spoken: str) -> bytes | None:
        self.lookups += 1
        return self.cache.get(self._key(spoken)) if self.cache else None

    def _store(self, spoken: str, pcm: bytes) -> None:
        self.synthesized += 1
        if self.cache:
            self.cache.put(self._key(spoken), pcm)
