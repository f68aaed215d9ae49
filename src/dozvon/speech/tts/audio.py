"""Telephone PCM: 8 kHz, 16-bit signed little-endian, mono. Reading WAVs of any common shape,
resampling with soxr (an anti-aliasing filter; ``audioop.ratecv`` has none), and joining pieces
without clicks."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soxr  # type: ignore[import-untyped]

SAMPLE_RATE = 8000
SAMPLE_WIDTH = 2
FRAME_MS = 20
FRAME_BYTES = SAMPLE_RATE * SAMPLE_WIDTH * FRAME_MS // 1000
CROSSFADE_MS = 10
SPEECH_LEVEL_DBFS = -20.0
"""Active-speech level of espeak-ng's output (``active_level_dbfs``), measured: recordings are
brought to it."""

Samples = npt.NDArray[np.float32]
"""Mono audio as floats in [-1, 1]."""

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE


class AudioFormatError(ValueError):
    """A WAV file we cannot turn into telephone audio; the message names the file."""


def read_wav(data: bytes, name: str = "WAV") -> tuple[Samples, int]:
    """Any PCM or float WAV, mono or not; tolerant of streamed headers with bogus sizes (espeak-ng
    --stdout writes 0x7FFFFFFF), which the stdlib ``wave`` module rejects."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError(f"{name}: not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        body = data[offset + 8 : offset + 8 + size]
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise AudioFormatError(f"{name}: truncated fmt chunk")
            code, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if code == _EXTENSIBLE and len(body) >= 26:
                code = struct.unpack_from("<H", body, 24)[0]
            fmt = (code, channels, rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError(f"{name}: data chunk before fmt chunk")
            return _decode(body, *fmt, name=name), fmt[2]
        offset += 8 + size + (size & 1)
    raise AudioFormatError(f"{name}: no audio data")


def _decode(body: bytes, code: int, channels: int, rate: int, bits: int, *, name: str) -> Samples:
    if channels < 1 or rate < 1:
        raise AudioFormatError(f"{name}: {channels} channels at {rate} Hz")
    width = bits // 8
    usable = len(body) - len(body) % (width * channels) if width else 0
    raw = body[:usable]
    if code == _FLOAT and bits == 32:
        samples = np.frombuffer(raw, "<f4").astype(np.float32)
    elif code == _PCM and bits == 16:
        samples = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif code == _PCM and bits == 8:
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif code == _PCM and bits == 24:
        triples = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        samples = (np.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)).astype(
            np.float32
        )
    elif code == _PCM and bits == 32:
        samples = (np.frombuffer(raw, "<i4") / float(1 << 31)).astype(np.float32)
    else:
        raise AudioFormatError(
            f"{name}: unsupported WAV encoding {code} with {bits} bits per sample"
        )
    mono: Samples = samples.reshape(-1, channels).mean(axis=1).astype(np.float32)
    return mono


def to_telephone(samples: Samples, rate: int) -> bytes:
    """Resample to 8 kHz with soxr's high-quality filter and quantize to 16-bit PCM."""
    if rate != SAMPLE_RATE and len(samples):
        samples = np.asarray(soxr.resample(samples, rate, SAMPLE_RATE, quality="HQ"), np.float32)
    return to_pcm(samples)


def to_pcm(samples: Samples) -> bytes:
    """Exact inverse of ``from_pcm`` (same 32768 scale), clipped to the 16-bit range."""
    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767)
    return bytes(scaled.astype("<i2").tobytes())


def from_pcm(pcm: bytes) -> Samples:
    return np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], "<i2").astype(np.float32) / 32768.0


def wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(SAMPLE_WIDTH)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def write_wav(path: Path, pcm: bytes) -> None:
    path.write_bytes(wav_bytes(pcm))


def load_telephone_wav(path: Path) -> bytes:
    """A clinic's recording, whatever its rate and channels, as telephone PCM."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioFormatError(f"{path}: cannot read: {exc.strerror}") from None
    samples, rate = read_wav(data, str(path))
    return to_telephone(samples, rate)


def normalize_level(pcm: bytes, target_dbfs: float = SPEECH_LEVEL_DBFS) -> bytes:
    """Bring a recording to the synthesized voice's loudness, so a clinic's quiet or loud prompt
    does not jump in level against the TTS part beside it. Loudness is the RMS of the active
    samples (silence excluded); the gain is capped so peaks stay under −1 dBFS."""
    samples = from_pcm(pcm)
    level = active_level_dbfs(samples)
    if level is None:
        return pcm
    gain = 10 ** ((target_dbfs - level) / 20)
    peak = float(np.max(np.abs(samples)))
    gain = min(gain, 10 ** (-1 / 20) / peak)
    return to_pcm(samples * gain)


def active_level_dbfs(samples: Samples) -> float | None:
    """Mean power of the 20 ms frames within 30 dB of the loudest: speech, not the pauses."""
    frame = SAMPLE_RATE * FRAME_MS // 1000
    usable = len(samples) - len(samples) % frame
    if usable == 0:
        return None
    powers = np.mean(samples[:usable].reshape(-1, frame) ** 2, axis=1)
    loudest = float(np.max(powers))
    if loudest < 1e-9:
        return None
    return float(10 * np.log10(np.mean(powers[powers >= loudest / 1000])))


def silence(ms: int) -> bytes:
    return bytes(SAMPLE_RATE * SAMPLE_WIDTH * ms // 1000)


def join(pieces: list[bytes], crossfade_ms: int = CROSSFADE_MS) -> bytes:
    """Concatenate PCM pieces with a short equal-power crossfade at each seam, so a recorded
    prompt and a synthesized name meet without the click of a waveform jump."""
    if not pieces:
        return b""
    fade = SAMPLE_RATE * crossfade_ms // 1000
    out = from_pcm(pieces[0])
    for piece in pieces[1:]:
        nxt = from_pcm(piece)
        overlap = min(fade, len(out), len(nxt))
        if overlap == 0:
            out = np.concatenate([out, nxt])
            continue
        ramp = np.linspace(0.0, np.pi / 2, overlap, dtype=np.float32)
        mixed = out[-overlap:] * np.cos(ramp) + nxt[:overlap] * np.sin(ramp)
        out = np.concatenate([out[:-overlap], mixed, nxt[overlap:]])
    return to_pcm(out)
