"""In-band DTMF: a Goertzel detector over 20 ms frames, and a tone generator.

The detector evaluates the eight DTMF frequencies (and the columns' second harmonics) on each
160-sample block as single-bin DFTs, the same value Goertzel's recurrence computes, done as one
numpy matrix product instead of a per-sample Python loop. A block counts as a key only if:
the block is loud enough; one row and one column tone each stand clear of their neighbours;
row and column are within the allowed twist; together they carry most of the block's energy
(speech spreads energy over many harmonics, so this is what rejects it); and the column tone has
no strong second harmonic (voiced speech would). A key is reported after `min_frames`
consecutive blocks agree, and the same or another key only after `min_gap_frames` blocks
without one.
"""

import math

import numpy as np
import numpy.typing as npt

from dozvon.media._audioop import audioop

SAMPLE_RATE = 8000
BLOCK = 160
BLOCK_BYTES = 2 * BLOCK
ROWS = (697.0, 770.0, 852.0, 941.0)
COLUMNS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYPAD = ("123A", "456B", "789C", "*0#D")
FULL_SCALE = 32768.0

FloatArray = npt.NDArray[np.float64]


def _basis(frequencies: tuple[float, ...], size: int) -> FloatArray:
    """Cosine and sine rows for single-bin DFTs at `frequencies`, shaped (2 × len, size)."""
    n = np.arange(size)
    angles = 2.0 * math.pi * np.outer(frequencies, n) / SAMPLE_RATE
    return np.vstack([np.cos(angles), np.sin(angles)])


# Second harmonics of the columns only: a row's (1394-1882 Hz) sits too close to a column
# for a 20 ms block to tell them apart.
_FREQUENCIES = ROWS + COLUMNS + tuple(2 * f for f in COLUMNS)
_BASIS = _basis(_FREQUENCIES, BLOCK)


def _db(decibels: float) -> float:
    """A power ratio from decibels."""
    return float(10.0 ** (decibels / 10.0))


class InbandDtmfDetector:
    """Feed 16-bit PCM of any length; get the keys pressed, each once."""

    def __init__(
        self,
        min_frames: int = 2,
        min_gap_frames: int = 2,
        min_level_dbfs: float = -36.0,
        max_twist_db: float = 8.0,
        min_tone_fraction: float = 0.65,
        min_neighbour_db: float = 6.0,
        max_harmonic_db: float = -12.0,
    ) -> None:
        self.min_frames = min_frames
        self.min_gap_frames = min_gap_frames
        # Block energy of a full-scale sine is BLOCK / 2 in these normalised units.
        self._min_energy = BLOCK / 2 * _db(min_level_dbfs)
        self._max_twist = _db(max_twist_db)
        self._min_tone_fraction = min_tone_fraction
        self._min_neighbour = _db(min_neighbour_db)
        self._max_harmonic = _db(max_harmonic_db)
        # Quiet blocks are turned away by audioop's C RMS before any numpy work.
        self._min_rms = FULL_SCALE * math.sqrt(self._min_energy / BLOCK)
        self._pending = bytearray()
        self._candidate: str | None = None
        self._run = 0
        self._gap = min_gap_frames
        self._reported = False

    def feed(self, pcm: bytes) -> list[str]:
        self._pending += pcm
        keys: list[str] = []
        whole = len(self._pending) // BLOCK_BYTES * BLOCK_BYTES
        for start in range(0, whole, BLOCK_BYTES):
            key = self._step(self._classify(bytes(self._pending[start : start + BLOCK_BYTES])))
            if key is not None:
                keys.append(key)
        del self._pending[:whole]
        return keys

    def _step(self, key: str | None) -> str | None:
        if key is None:
            self._gap += 1
            self._candidate, self._run = None, 0
            if self._gap >= self.min_gap_frames:
                self._reported = False
            return None
        self._gap = 0
        if key != self._candidate:
            self._candidate, self._run = key, 0
        self._run += 1
        if self._run >= self.min_frames and not self._reported:
            self._reported = True
            return key
        return None

    def _classify(self, raw: bytes) -> str | None:
        """The key one 160-sample block holds, or None (checks in the module docstring)."""
        if audioop.rms(raw, 2) < self._min_rms:
            return None
        block = np.frombuffer(raw, dtype="<i2") / FULL_SCALE
        energy = float(np.dot(block, block))
        parts = _BASIS @ block
        half = len(_FREQUENCIES)
        # Normalised so a sine's bin power equals its share of `energy`.
        power = (parts[:half] ** 2 + parts[half:] ** 2) * (2.0 / BLOCK)
        rows, columns, harmonics = power[:4], power[4:8], power[8:]
        row, column = int(np.argmax(rows)), int(np.argmax(columns))
        row_power, column_power = float(rows[row]), float(columns[column])
        if row_power > column_power * self._max_twist or column_power > row_power * self._max_twist:
            return None
        if row_power + column_power < self._min_tone_fraction * energy:
            return None
        for group, peak in ((rows, row_power), (columns, column_power)):
            runner_up = sorted(group.tolist())[-2]
            if runner_up * self._min_neighbour > peak:
                return None
        if float(harmonics[column]) > column_power * self._max_harmonic:
            return None
        return KEYPAD[row][column]


def tone(
    key: str,
    duration_ms: int = 100,
    level_dbfs: float = -10.0,
    twist_db: float = 0.0,
    phase_samples: int = 0,
) -> bytes:
    """A key's dual tone as 16-bit PCM; `twist_db` > 0 makes the column tone louder than the row.

    `level_dbfs` is the level of each of the two tones (peak amplitude relative to full scale).
    """
    row, column = _position(key)
    n = np.arange(phase_samples, phase_samples + SAMPLE_RATE * duration_ms // 1000)
    amplitude = 10.0 ** (level_dbfs / 20.0)
    low = amplitude * 10.0 ** (-twist_db / 40.0)
    high = amplitude * 10.0 ** (twist_db / 40.0)
    wave = low * np.sin(2 * math.pi * ROWS[row] * n / SAMPLE_RATE) + high * np.sin(
        2 * math.pi * COLUMNS[column] * n / SAMPLE_RATE
    )
    return _to_pcm(wave)


def keys_pcm(keys: str, on_ms: int = 100, off_ms: int = 100, level_dbfs: float = -10.0) -> bytes:
    """A sequence of key tones, each followed by `off_ms` of silence."""
    gap = bytes(2 * SAMPLE_RATE * off_ms // 1000)
    return b"".join(tone(key, on_ms, level_dbfs) + gap for key in keys)


def _position(key: str) -> tuple[int, int]:
    for row, line in enumerate(KEYPAD):
        column = line.find(key.upper()) if len(key) == 1 else -1
        if column >= 0:
            return row, column
    raise ValueError(f"not a DTMF key: {key!r}")


def _to_pcm(wave: FloatArray) -> bytes:
    clipped = np.clip(np.rint(wave * (FULL_SCALE - 1)), -FULL_SCALE, FULL_SCALE - 1)
    return clipped.astype("<i2").tobytes()
