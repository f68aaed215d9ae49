"""What the rest of the product calls to turn a message into telephone audio: the lexicon and
the free-text patterns, then recorded prompts where the clinic has them, then the engine through
the disk cache, with the pieces joined without clicks."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dozvon.speech.lexicon import Lexicon, default_lexicon
from dozvon.speech.text import spoken_text
from dozvon.speech.tts.audio import join
from dozvon.speech.tts.base import Synthesizer
from dozvon.speech.tts.cache import AudioCache, cache_key
from dozvon.speech.tts.prompts import PromptLibrary, Recording
from dozvon.speech.tts.registry import DEFAULT_ENGINE, create_engine

Progress = Callable[[int, int], None]
"""Called with (messages done, messages in all) as pre-synthesis advances."""

_SAYABLE = re.compile(r"\w")
_SPOKEN_MEMO = 100_000
_PART_SEPARATOR = "\x1e"
"""Joins a message's parts in its cache key; never occurs in text, so no part list collides
with a single text or with another split of the same words."""

Message = str | Sequence[str]
"""A whole text, or a message as its parts (see ``Voice.say_parts``)."""


@dataclass
class PresynthesisReport:
    messages: int = 0
    synthesized: int = 0
    """Pieces that had to be synthesized now."""
    cached: int = 0
    """Pieces, or whole messages given as parts, found in the cache."""


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
        self.cache_hits = 0
        """Cache hits: pieces or joined messages that did not need the engine."""
        self._spoken: dict[str, str] = {}

    @classmethod
    def create(
        cls,
        engine: str = DEFAULT_ENGINE,
        voice: str | None = None,
        *,
        cache_dir: Path | None = None,
        lexicon_file: Path | None = None,
        prompts_dir: Path | None = None,
    ) -> Voice:
        """From settings (``config.speech``): names and paths in, a ready voice out."""
        return cls(
            create_engine(engine, voice),
            Lexicon.load(lexicon_file),
            AudioCache(cache_dir) if cache_dir else None,
            PromptLibrary(prompts_dir) if prompts_dir else None,
        )

    def spoken(self, text: str) -> str:
        """The text as it will be said (``dozvon say --text-only``); memoized, since a campaign
        repeats its fixed prompts, doctors, dates and times thousands of times."""
        said = self._spoken.get(text)
        if said is None:
            if len(self._spoken) >= _SPOKEN_MEMO:
                self._spoken.clear()  # a long-running service sees endless new names
            said = self._spoken[text] = spoken_text(text, self.lexicon)
        return said

    def say(self, text: str) -> bytes:
        return join([self._piece(piece) for piece in self._pieces(text)])

    async def say_async(self, text: str) -> bytes:
        return join([await self._piece_async(piece) for piece in self._pieces(text)])

    def say_parts(self, parts: Sequence[str]) -> bytes:
        """A message assembled from separately cached parts: the fixed text of a template and its
        variable values, so a fixed part is synthesized once for a whole campaign. The joined
        message is cached too, so at call time it is one read."""
        key = self._message_key(parts)
        cached = self._lookup(key)
        if cached is not None:
            return cached
        pcm = join([self.say(part) for part in parts])
        if self.cache:
            self.cache.put(key, pcm)
        return pcm

    async def say_parts_async(self, parts: Sequence[str]) -> bytes:
        key = self._message_key(parts)
        cached = self._lookup(key)
        if cached is not None:
            return cached
        pcm = join([await self.say_async(part) for part in parts])
        if self.cache:
            self.cache.put(key, pcm)
        return pcm

    def _message_key(self, parts: Sequence[str]) -> str:
        """A joined message may contain recordings: re-recording one must invalidate it."""
        recorded = self.prompts.version if self.prompts else ""
        return self._key(_PART_SEPARATOR.join([recorded, *(self.spoken(part) for part in parts)]))

    def presynthesize(
        self, messages: Iterable[Message], progress: Progress | None = None
    ) -> PresynthesisReport:
        """Fill the cache with tomorrow's messages before the calling window opens. A message
        given as parts has each part and the joined message cached."""
        unique = _unique(messages)
        before = (self.synthesized, self.cache_hits)
        for done, message in enumerate(unique, 1):
            self._say_message(message)
            if progress:
                progress(done, len(unique))
        return self._report(len(unique), before)

    async def presynthesize_async(
        self, messages: Iterable[Message], progress: Progress | None = None, concurrency: int = 2
    ) -> PresynthesisReport:
        unique = _unique(messages)
        before = (self.synthesized, self.cache_hits)
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def one(message: Message) -> None:
            nonlocal done
            async with gate:
                if isinstance(message, str):
                    await self.say_async(message)
                else:
                    await self.say_parts_async(message)
            done += 1
            if progress:
                progress(done, len(unique))

        await asyncio.gather(*(one(message) for message in unique))
        return self._report(len(unique), before)

    def _say_message(self, message: Message) -> bytes:
        return self.say(message) if isinstance(message, str) else self.say_parts(message)

    def _report(self, messages: int, before: tuple[int, int]) -> PresynthesisReport:
        return PresynthesisReport(
            messages, self.synthesized - before[0], self.cache_hits - before[1]
        )

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
        return self._lookup(self._key(spoken))

    def _lookup(self, key: str) -> bytes | None:
        """A cached piece or joined message; counts hits for the pre-synthesis report."""
        if self.cache is None:
            return None
        found = self.cache.get(key)
        if found is not None:
            self.cache_hits += 1
        return found

    def _store(self, spoken: str, pcm: bytes) -> None:
        self.synthesized += 1
        if self.cache:
            self.cache.put(self._key(spoken), pcm)


def _unique(messages: Iterable[Message]) -> list[Message]:
    return list(dict.fromkeys(m if isinstance(m, str) else tuple(m) for m in messages))
