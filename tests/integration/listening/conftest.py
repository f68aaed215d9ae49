"""Greetings synthesized with espeak-ng in the tests themselves, with noise mixed in."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from dozvon.speech.tts.audio import FRAME_BYTES, SAMPLE_RATE, from_pcm, silence, to_pcm
from dozvon.speech.tts.espeak import EspeakSynthesizer

MACHINE_GREETING = (
    "Здравствуйте! Вы позвонили Ивановым. Сейчас мы не можем подойти к телефону. "
    "Пожалуйста, оставьте ваше сообщение после звукового сигнала, и мы вам перезвоним."
)


def tone(hz: float, ms: int, level: float = 0.3) -> bytes:
    t = np.arange(SAMPLE_RATE * ms // 1000) / SAMPLE_RATE
    return to_pcm((level * np.sin(2 * np.pi * hz * t)).astype(np.float32))


def with_noise(pcm: bytes, snr_db: float | None, seed: int = 7) -> bytes:
    """White noise at ``snr_db`` below the speech's active level; None keeps the audio clean."""
    if snr_db is None:
        return pcm
    samples = from_pcm(pcm)
    active = samples[np.abs(samples) > 0.01]
    power = float(np.mean(active**2)) if len(active) else 1e-4
    noise = np.random.default_rng(seed).normal(
        0, np.sqrt(power / 10 ** (snr_db / 10)), len(samples)
    )
    return to_pcm((samples + noise).astype(np.float32))


def frames(pcm: bytes) -> Iterator[bytes]:
    """20 ms frames, as the RTP session's audio tap delivers them."""
    for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        yield pcm[start : start + FRAME_BYTES]


@pytest.fixture(scope="session")
def allo() -> bytes:
    return EspeakSynthesizer().synthesize("Алло?")


@pytest.fixture(scope="session")
def machine_greeting() -> bytes:
    return EspeakSynthesizer().synthesize(MACHINE_GREETING)


@pytest.fixture(scope="session")
def human_call(allo: bytes) -> bytes:
    return silence(400) + allo + silence(3000)


@pytest.fixture(scope="session")
def machine_call(machine_greeting: bytes) -> bytes:
    return silence(600) + machine_greeting + silence(200) + tone(1000, 400) + silence(1500)
