import numpy as np
import pytest

from dozvon.media.vad import SpeechEnded, SpeechStarted, VadConfig, VoiceActivityDetector
from dozvon.speech.tts.audio import silence, to_pcm

from .conftest import frames, tone, with_noise


def run(pcm: bytes, config: VadConfig | None = None) -> list[SpeechStarted | SpeechEnded]:
    vad = VoiceActivityDetector(config)
    events = [event for frame in frames(pcm) for event in vad.push(frame)]
    events += vad.flush()
    vad.close()
    return events


@pytest.mark.parametrize("snr_db", [None, 20, 10])
def test_allo_is_one_utterance_where_it_was_said(
    human_call: bytes, allo: bytes, snr_db: float | None
) -> None:
    events = run(with_noise(human_call, snr_db))
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    start, end = events
    assert 250 <= start.at_ms <= 700  # 400 ms of silence came first
    assert isinstance(end, SpeechEnded)
    assert 200 <= end.duration_ms <= len(allo) // 16 + 100


def test_long_greeting_is_speech_most_of_the_time(machine_greeting: bytes) -> None:
    events = run(with_noise(machine_greeting, 20))
    spoken = sum(e.duration_ms for e in events if isinstance(e, SpeechEnded))
    assert spoken > 0.6 * len(machine_greeting) / 16


@pytest.mark.parametrize(
    "audio",
    [
        silence(3000),
        tone(425, 3000),  # Russian ringback/busy frequency
        tone(1000, 3000),  # a beep
        tone(697, 2000, 0.2) + tone(1209, 1000, 0.2),
        to_pcm(np.random.default_rng(1).normal(0, 0.01, 24000).astype(np.float32)),  # line hiss
    ],
    ids=["silence", "425 Hz", "1 kHz", "tones", "noise"],
)
def test_no_speech_in_tones_and_noise(audio: bytes) -> None:
    assert run(audio) == []


def test_stricter_threshold_is_honoured(human_call: bytes) -> None:
    assert run(human_call, VadConfig(threshold=1.01, release_threshold=1.0)) == []


def test_partial_frames_are_buffered(human_call: bytes) -> None:
    vad = VoiceActivityDetector()
    events = []
    for start in range(0, len(human_call), 98):  # odd-sized chunks, split mid-sample
        events += vad.push(human_call[start : start + 98])
    assert [type(e) for e in events] == [SpeechStarted, SpeechEnded]
    vad.close()
    with pytest.raises(RuntimeError, match="closed"):
        vad.push(human_call[:320])
