import pytest

from dozvon.media.beep import Beep, BeepConfig, BeepDetector
from dozvon.speech.tts.audio import silence

from .conftest import frames, tone, with_noise


def beeps(pcm: bytes, config: BeepConfig | None = None) -> list[Beep]:
    detector = BeepDetector(config)
    found = [b for frame in frames(pcm) if (b := detector.push(frame))]
    last = detector.flush()
    return found + ([last] if last else [])


@pytest.mark.parametrize("snr_db", [None, 20, 10])
def test_beep_after_the_greeting_is_found_once(
    machine_call: bytes, machine_greeting: bytes, snr_db: float | None
) -> None:
    (beep,) = beeps(with_noise(machine_call, snr_db))
    expected_start = 600 + len(machine_greeting) // 16 + 200
    assert beep.start_ms == pytest.approx(expected_start, abs=40)
    assert beep.duration_ms == pytest.approx(400, abs=40)
    assert beep.frequency_hz == pytest.approx(1000, abs=20)


@pytest.mark.parametrize("hz", [440, 850, 1400, 1900])
def test_beeps_across_the_range(hz: int) -> None:
    (beep,) = beeps(silence(200) + tone(hz, 200) + silence(200))
    assert beep.frequency_hz == pytest.approx(hz, abs=20)


@pytest.mark.parametrize(
    "audio",
    [
        silence(200) + tone(1000, 100) + silence(200),  # too short
        silence(200) + tone(1000, 5000) + silence(200),  # a line signal, not a beep
        silence(200) + tone(300, 400) + silence(200),  # below the range
        silence(200) + tone(2500, 400) + silence(200),  # above the range
        silence(200) + tone(1000, 400, level=0.002) + silence(200),  # under the noise floor
    ],
    ids=["short", "endless", "low", "high", "faint"],
)
def test_not_a_beep(audio: bytes) -> None:
    assert beeps(audio) == []


def test_no_beep_in_speech(machine_greeting: bytes, allo: bytes) -> None:
    assert beeps(with_noise(machine_greeting + allo, 20)) == []


def test_dtmf_is_not_a_beep() -> None:
    import numpy as np

    from dozvon.speech.tts.audio import SAMPLE_RATE, to_pcm

    t = np.arange(SAMPLE_RATE // 4) / SAMPLE_RATE
    dual = 0.2 * np.sin(2 * np.pi * 770 * t) + 0.2 * np.sin(2 * np.pi * 1336 * t)
    assert beeps(silence(100) + to_pcm(dual.astype(np.float32)) + silence(100)) == []
