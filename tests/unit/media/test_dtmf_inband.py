import numpy as np
import pytest

from dozvon.media.dtmf_inband import KEYPAD, InbandDtmfDetector, keys_pcm, tone

ALL_KEYS = "".join(KEYPAD)
SILENCE_100MS = bytes(1600)


def _with_noise(pcm: bytes, snr_db: float | None, seed: int) -> bytes:
    signal = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if snr_db is not None:
        loud = signal[signal != 0]
        noise_rms = np.sqrt(np.mean(loud**2)) / 10 ** (snr_db / 20)
        signal = signal + np.random.default_rng(seed).normal(0.0, noise_rms, signal.size)
    return np.clip(signal, -32768, 32767).astype("<i2").tobytes()


@pytest.mark.parametrize("snr_db", [None, 30.0, 20.0, 12.0])
@pytest.mark.parametrize("twist_db", [-6.0, 0.0, 6.0])
@pytest.mark.parametrize("key", list(ALL_KEYS))
def test_every_key_under_noise_and_twist(key: str, twist_db: float, snr_db: float | None) -> None:
    pcm = SILENCE_100MS + tone(key, 80, level_dbfs=-20, twist_db=twist_db, phase_samples=53)
    noisy = _with_noise(pcm + SILENCE_100MS, snr_db, seed=ord(key))
    assert InbandDtmfDetector().feed(noisy) == [key]


@pytest.mark.parametrize("level_dbfs", [-3.0, -12.0, -30.0])
def test_keys_at_any_usable_level(level_dbfs: float) -> None:
    assert InbandDtmfDetector().feed(keys_pcm("159#", level_dbfs=level_dbfs)) == list("159#")


def test_too_quiet_tone_is_ignored() -> None:
    assert InbandDtmfDetector().feed(tone("5", 200, level_dbfs=-50)) == []


def test_a_single_frame_blip_is_not_a_key() -> None:
    assert (
        InbandDtmfDetector(min_frames=2).feed(SILENCE_100MS + tone("8", 20) + SILENCE_100MS) == []
    )


def test_a_held_key_is_one_digit_and_a_short_dropout_does_not_split_it() -> None:
    held = tone("3", 300) + bytes(160) + tone("3", 300, phase_samples=2480)
    assert InbandDtmfDetector().feed(held + SILENCE_100MS) == ["3"]


def test_the_same_key_twice_after_a_gap_is_two_digits() -> None:
    assert InbandDtmfDetector().feed(keys_pcm("77", on_ms=60, off_ms=60)) == ["7", "7"]


def test_feeding_in_odd_sized_chunks_gives_the_same_keys() -> None:
    pcm = keys_pcm("0123456789")
    detector = InbandDtmfDetector()
    keys = [k for start in range(0, len(pcm), 222) for k in detector.feed(pcm[start : start + 222])]
    assert keys == list("0123456789")


def test_twist_beyond_the_limit_is_rejected() -> None:
    assert InbandDtmfDetector(max_twist_db=8).feed(tone("9", 200, twist_db=14)) == []


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="not a DTMF key"):
        tone("E")


@pytest.mark.parametrize("gain", [0.25, 1.0, 3.0])
@pytest.mark.parametrize("snr_db", [None, 20.0])
def test_russian_speech_gives_no_digits(
    russian_speech: bytes, gain: float, snr_db: float | None
) -> None:
    speech = np.frombuffer(russian_speech, dtype="<i2").astype(np.float64) * gain
    pcm = _with_noise(np.clip(speech, -32768, 32767).astype("<i2").tobytes(), snr_db, seed=1)
    # Even one-frame detections would be reported with min_frames=1: none may appear.
    assert InbandDtmfDetector(min_frames=1).feed(pcm) == []


def test_a_key_after_speech_is_still_heard(russian_speech: bytes) -> None:
    assert InbandDtmfDetector().feed(russian_speech + keys_pcm("2")) == ["2"]
