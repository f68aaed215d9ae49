"""Prompts for playback: any WAV → 8 kHz mono 16-bit PCM, resampled with soxr.

soxr rather than `audioop.ratecv`: ratecv is a linear interpolator with no anti-alias filter,
so a 16/22/48 kHz prompt would fold its highs back into the telephone band.
"""

import wave
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soxr  # type: ignore[import-untyped]

from dozvon.media.g711 import SAMPLE_RATE

_DTYPES: dict[int, np.dtype[Any]] = {1: np.dtype(np.uint8), 2: np.dtype("<i2"), 4: np.dtype("<i4")}


class PromptError(ValueError):
    """A prompt file that cannot be played; the message names the file."""


def load_wav(path: str | Path) -> bytes:
    """Read a PCM WAV of any rate, width (8/16/32-bit) and channel count as 8 kHz mono 16-bit."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise PromptError(f"{path}: not a PCM WAV file ({exc})") from exc
    if width not in _DTYPES:
        raise PromptError(f"{path}: {8 * width}-bit samples are not supported (8, 16, 32)")
    samples = np.frombuffer(raw[: len(raw) - len(raw) % (width * channels)], dtype=_DTYPES[width])
    audio = samples.astype(np.float64)
    if width == 1:
        audio = (audio - 128.0) * 256.0
    elif width == 4:
        audio /= 65536.0
    return to_telephone_pcm(audio.reshape(-1, channels).mean(axis=1), rate)


def to_telephone_pcm(audio: npt.NDArray[np.float64], rate: int) -> bytes:
    """Resample mono float samples (16-bit scale) to 8 kHz 16-bit little-endian PCM."""
    if rate != SAMPLE_RATE:
        audio = soxr.resample(audio, rate, SAMPLE_RATE, quality="HQ")
    return np.clip(np.rint(audio), -32768, 32767).astype("<i2").tobytes()
