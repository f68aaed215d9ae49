from __future__ import annotations

import pytest

from dozvon.speech.tts.base import ThreadedSynthesizer
from dozvon.speech.tts.espeak import EspeakSynthesizer


class CountingEngine(ThreadedSynthesizer):
    """The real espeak-ng engine, counting the texts it is asked to synthesize."""

    def __init__(self, voice: str = "ru") -> None:
        self._inner = EspeakSynthesizer(voice)
        self.engine = self._inner.engine
        self.voice = voice
        self.calls: list[str] = []

    def synthesize(self, text: str) -> bytes:
        self.calls.append(text)
        return self._inner.synthesize(text)


@pytest.fixture(scope="session")
def espeak() -> EspeakSynthesizer:
    return EspeakSynthesizer()


@pytest.fixture
def counting() -> CountingEngine:
    return CountingEngine()
