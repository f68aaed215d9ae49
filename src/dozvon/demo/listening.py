"""How a virtual patient knows the robot has finished speaking: voice, then a pause."""

from __future__ import annotations

import asyncio

import numpy as np

FRAME_MS = 20
VOICE_RMS = 300.0
"""Above the G.711 silence the robot sends between prompts, well below speech."""


class PromptEndDetector:
    """Fed the robot's audio frame by frame; fires after `min_voice_ms` of voice and then
    `pause_ms` of quiet. Re-arms itself for the next prompt."""

    def __init__(self, min_voice_ms: int = 300, pause_ms: int = 1000) -> None:
        self.min_voice_frames = min_voice_ms // FRAME_MS
        self.pause_frames = pause_ms // FRAME_MS
        self._voiced = 0
        self._quiet = 0
        self._ended = asyncio.Event()

    def prompt_ended(self) -> asyncio.Event:
        """An event that fires when the current prompt ends; call again for the next one."""
        self._ended = asyncio.Event()
        return self._ended

    def feed(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32)
        loud = samples.size > 0 and float(np.sqrt(np.mean(samples * samples))) > VOICE_RMS
        if loud:
            self._voiced += 1
            self._quiet = 0
            return
        self._quiet += 1
        if self._voiced >= self.min_voice_frames and self._quiet >= self.pause_frames:
            self._voiced = 0
            self._ended.set()
