"""The answering machine's beep: a steady tone, 400–2000 Hz, lasting at least ~150 ms after the
greeting, after which a message may be left.

Per 20 ms frame: a Hann-windowed, zero-padded FFT finds the strongest frequency; the frame is
tonal if that peak's band carries most of the frame's energy (speech spreads its energy over
harmonics and formants, DTMF over two tones) and the level is above the noise floor. A beep is a
run of tonal frames whose frequency stays put. Sans-I/O: push 8 kHz 16-bit PCM frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 8000
_FFT = 1024


@dataclass(frozen=True)
class BeepConfig:
    min_hz: float = 400.0
    max_hz: float = 2000.0
    min_ms: int = 150
    max_ms: int = 3000
    """A longer tone is a line signal, not a beep."""
    purity: float = 0.7
    """Share of the frame's energy within ±band_hz of the peak."""
    band_hz: float = 110.0
    drift_hz: float = 30.0
    """How far the frequency may wander during one beep."""
    min_level_dbfs: float = -45.0


@dataclass(frozen=True)
class Beep:
    start_ms: int
    end_ms: int
    frequency_hz: float

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


class BeepDetector:
    def __init__(self, config: BeepConfig | None = None) -> None:
        self.config = config or BeepConfig()
        self.position_ms = 0
        self._tone_start_ms: int | None = None
        self._tone_hz = 0.0
        self._freqs = np.fft.rfftfreq(_FFT, 1 / SAMPLE_RATE)

    def push(self, frame: bytes) -> Beep | None:
        """Returns a Beep when a qualifying tone ends (the moment to start speaking)."""
        samples = np.frombuffer(frame[: len(frame) - len(frame) % 2], "<i2").astype(np.float64)
        frame_ms = len(samples) * 1000 // SAMPLE_RATE
        start_ms = self.position_ms
        self.position_ms += frame_ms
        tone = self._tone(samples / 32768.0)
        if (
            tone is not None
            and self._tone_start_ms is not None
            and abs(tone - self._tone_hz) <= self.config.drift_hz
        ):
            return None
        finished = self._end_tone(start_ms)
        if tone is not None:
            self._tone_start_ms, self._tone_hz = start_ms, tone
        return finished

    def flush(self) -> Beep | None:
        return self._end_tone(self.position_ms)

    def _end_tone(self, end_ms: int) -> Beep | None:
        if self._tone_start_ms is None:
            return None
        start, self._tone_start_ms = self._tone_start_ms, None
        if self.config.min_ms <= end_ms - start <= self.config.max_ms:
            return Beep(start, end_ms, round(self._tone_hz, 1))
        return None

    def _tone(self, samples: np.ndarray) -> float | None:
        if len(samples) < 32:
            return None
        rms = float(np.sqrt(np.mean(samples**2)))
        if rms <= 0 or 20 * np.log10(rms) < self.config.min_level_dbfs:
            return None
        spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples)), _FFT)) ** 2
        audible = (self._freqs >= 100) & (self._freqs <= 3900)
        peak = int(np.argmax(np.where(audible, spectrum, 0.0)))
        frequency = float(self._freqs[peak])
        if not self.config.min_hz <= frequency <= self.config.max_hz:
            return None
        band = np.abs(self._freqs - frequency) <= self.config.band_hz
        if spectrum[band].sum() < self.config.purity * spectrum[audible].sum():
            return None
        return frequency
