import struct
import wave
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest

from dozvon.speech.tts.audio import (
    SAMPLE_RATE,
    SPEECH_LEVEL_DBFS,
    AudioFormatError,
    active_level_dbfs,
    from_pcm,
    join,
    load_telephone_wav,
    normalize_level,
    read_wav,
    to_pcm,
    to_telephone,
    wav_bytes,
)


def sine(hz: float, seconds: float, rate: int, level: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def wav_file(samples: np.ndarray, rate: int, channels: int = 1, width: int = 2) -> bytes:
    interleaved = np.repeat(samples, channels)
    if width == 1:
        raw = ((interleaved * 127) + 128).astype(np.uint8).tobytes()
    elif width == 3:
        ints = (interleaved * (2**23 - 1)).astype(np.int32)
        raw = b"".join(int(v).to_bytes(4, "little", signed=True)[:3] for v in ints)
    else:
        raw = (interleaved * 32767).astype("<i2").tobytes()
    buffer = BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(raw)
    return buffer.getvalue()


def float_wav(samples: np.ndarray, rate: int) -> bytes:
    data = samples.astype("<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def dominant_hz(pcm: bytes) -> float:
    samples = from_pcm(pcm)
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[np.argmax(spectrum)])


@pytest.mark.parametrize(
    ("rate", "channels", "width"),
    [(44100, 2, 2), (48000, 1, 3), (16000, 1, 1), (8000, 1, 2), (22050, 2, 2)],
)
def test_any_pcm_wav_becomes_telephone_audio(rate: int, channels: int, width: int) -> None:
    data = wav_file(sine(1000, 0.5, rate), rate, channels, width)
    samples, found_rate = read_wav(data)
    pcm = to_telephone(samples, found_rate)
    assert found_rate == rate
    assert len(pcm) == pytest.approx(SAMPLE_RATE * 0.5 * 2, abs=8)
    assert dominant_hz(pcm) == pytest.approx(1000, abs=3)


def test_float_wav_is_read() -> None:
    samples, rate = read_wav(float_wav(sine(500, 0.2, 16000), 16000))
    assert rate == 16000
    assert dominant_hz(to_telephone(samples, rate)) == pytest.approx(500, abs=5)


def test_streamed_header_with_bogus_sizes_is_read() -> None:
    """espeak-ng --stdout writes 0x7FFFFFFF as the RIFF and data sizes."""
    good = wav_file(sine(440, 0.1, 22050), 22050)
    streamed = good[:4] + b"\xff\xff\xff\x7f" + good[8:40] + b"\xff\xff\xff\x7f" + good[44:]
    samples, rate = read_wav(streamed)
    assert rate == 22050 and len(samples) == 2205


def test_downsampling_filters_what_8_khz_cannot_carry() -> None:
    """A 5.5 kHz tone would alias to 2.5 kHz without an anti-alias filter (audioop.ratecv)."""
    pcm = to_telephone(sine(5500, 0.5, 22050), 22050)
    steady = from_pcm(pcm)[400:-400]  # away from the edges, where the tone switches on and off
    assert np.sqrt(np.mean(steady**2)) < 0.001


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not a RIFF/WAVE file"),
        (b"RIFF\x00\x00\x00\x00WAVEdata\x04\x00\x00\x00\x00\x00", "data chunk before fmt"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt \x02\x00\x00\x00\x01\x00", "truncated fmt chunk"),
        (b"RIFF\x00\x00\x00\x00WAVE", "no audio data"),
    ],
)
def test_malformed_wav_is_named(data: bytes, message: str) -> None:
    with pytest.raises(AudioFormatError, match=f"prompt.wav: {message}"):
        read_wav(data, "prompt.wav")


def test_mu_law_wav_is_refused_clearly() -> None:
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
    data = (
        b"RIFF\x00\x00\x00\x00WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data\x02\x00\x00\x00\xff\xff"
    )
    with pytest.raises(AudioFormatError, match="unsupported WAV encoding 7"):
        read_wav(data)


def test_unreadable_prompt_is_named(tmp_path: Path) -> None:
    with pytest.raises(AudioFormatError, match=r"missing\.wav: cannot read"):
        load_telephone_wav(tmp_path / "missing.wav")


def test_join_crossfades_without_a_click() -> None:
    """A naive join of a positive-peak piece and a negative-peak piece jumps by ~1.0 full scale."""
    first = to_pcm(np.full(800, 0.5, dtype=np.float32))
    second = to_pcm(np.full(800, -0.5, dtype=np.float32))
    naive = from_pcm(first + second)
    joined = from_pcm(join([first, second]))
    assert np.max(np.abs(np.diff(naive))) > 0.9
    assert np.max(np.abs(np.diff(joined))) < 0.02
    assert len(joined) == 1600 - 80  # 10 ms overlap


def test_join_edge_cases() -> None:
    assert join([]) == b""
    assert join([b"", to_pcm(np.ones(10, dtype=np.float32) * 0.1)]) == to_pcm(
        np.ones(10, dtype=np.float32) * 0.1
    )


def test_wav_bytes_round_trip() -> None:
    pcm = to_pcm(sine(300, 0.1, SAMPLE_RATE))
    with wave.open(BytesIO(wav_bytes(pcm))) as back:
        assert (back.getframerate(), back.getnchannels(), back.getsampwidth()) == (8000, 1, 2)
        assert back.readframes(back.getnframes()) == pcm


@pytest.mark.parametrize("level", [0.01, 0.05, 0.9])
def test_recordings_are_brought_to_the_voice_level(level: float) -> None:
    quiet_or_loud = to_pcm(sine(400, 1.0, SAMPLE_RATE, level) * np.repeat([1.0, 0.0], 4000))
    out = from_pcm(normalize_level(quiet_or_loud))
    assert active_level_dbfs(out) == pytest.approx(SPEECH_LEVEL_DBFS, abs=0.5)
    assert np.max(np.abs(out)) <= 10 ** (-1 / 20) + 1e-4


def test_level_of_silence_is_left_alone() -> None:
    assert normalize_level(bytes(1600)) == bytes(1600)
