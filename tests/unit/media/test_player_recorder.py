import wave
from pathlib import Path

import numpy as np
import pytest

from dozvon.media.player import PromptError, load_wav
from dozvon.media.recorder import StereoWavRecorder


def _write_wav(path: Path, samples: np.ndarray, rate: int, width: int, channels: int) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(samples.tobytes())
    return path


def _sine(frequency: float, rate: int, seconds: float = 1.0) -> np.ndarray:
    n = np.arange(int(rate * seconds))
    return np.sin(2 * np.pi * frequency * n / rate)


def _peak_hz(pcm: bytes) -> float:
    audio = np.frombuffer(pcm, dtype="<i2").astype(float)
    return float(np.argmax(np.abs(np.fft.rfft(audio)))) * 8000 / audio.size


def test_stereo_44k_prompt_becomes_8k_mono(tmp_path: Path) -> None:
    mono = (12000 * _sine(1000, 44100)).astype("<i2")
    stereo = np.repeat(mono, 2)
    pcm = load_wav(_write_wav(tmp_path / "p.wav", stereo, 44100, 2, 2))
    assert len(pcm) == pytest.approx(2 * 8000, abs=4)
    assert _peak_hz(pcm) == pytest.approx(1000, abs=2)


@pytest.mark.parametrize(
    ("width", "dtype", "scale", "offset"),
    [(1, np.uint8, 100, 128), (4, "<i4", 2**30, 0)],
)
def test_8_and_32_bit_prompts_are_read(
    tmp_path: Path, width: int, dtype: str, scale: float, offset: int
) -> None:
    samples = (scale * _sine(500, 16000) + offset).astype(dtype)
    pcm = load_wav(_write_wav(tmp_path / "p.wav", samples, 16000, width, 1))
    assert _peak_hz(pcm) == pytest.approx(500, abs=2)
    assert np.abs(np.frombuffer(pcm, dtype="<i2")).max() > 8000


def test_tones_above_the_telephone_band_are_filtered_not_aliased(tmp_path: Path) -> None:
    # A naive resampler would fold 6 kHz at 48 kHz down to 2 kHz at 8 kHz.
    samples = (16000 * _sine(6000, 48000)).astype("<i2")
    pcm = load_wav(_write_wav(tmp_path / "high.wav", samples, 48000, 2, 1))
    assert np.abs(np.frombuffer(pcm, dtype="<i2")[100:-100]).max() < 200


def test_not_a_wav_is_a_prompt_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\x00\x00 this is not audio")
    with pytest.raises(PromptError, match=r"broken\.wav"):
        load_wav(path)


def test_24_bit_is_refused_clearly(tmp_path: Path) -> None:
    path = _write_wav(tmp_path / "deep.wav", np.zeros(300, dtype=np.uint8), 8000, 3, 1)
    with pytest.raises(PromptError, match="24-bit"):
        load_wav(path)


def test_recorder_interleaves_peer_left_and_us_right(tmp_path: Path) -> None:
    recorder = StereoWavRecorder(tmp_path / "r.wav")
    peer = np.full(160, 1000, dtype="<i2").tobytes()
    us = np.full(160, -2000, dtype="<i2").tobytes()
    for _ in range(60):
        recorder.write(peer, us)
    recorder.close()
    with wave.open(str(tmp_path / "r.wav"), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        assert wav.getnframes() == 60 * 160
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert set(frames[:, 0]) == {1000} and set(frames[:, 1]) == {-2000}
